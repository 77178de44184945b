//go:build cgo && linux

package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
	"github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats"
)

func TestLoadInputReadsTelegrafTypes(t *testing.T) {
	t.Setenv("TLV_PASSWORD", `pa"ss`)
	p := writeConf(t, `
[[inputs.libvirt_stats]]
  libvirt_uri = "qemu+tcp://127.0.0.1/system"
  statistics_groups = ["state", "block"]
  domains = ["web-*"]
  domains_exclude = ["web-test"]
  domain_states = ["running"]
  nowait = false
  backing = true
  timeout = "1m30s"
  read_only = false
  username = "collector"
  password = "${TLV_PASSWORD}"
`)
	in, err := loadInput(p)
	require.NoError(t, err)
	ls := in.Input.(*libvirt_stats.LibvirtStats)
	require.Equal(t, "qemu+tcp://127.0.0.1/system", ls.URI)
	require.Equal(t, []string{"state", "block"}, ls.StatisticsGroups)
	require.Equal(t, []string{"web-*"}, ls.Domains)
	require.Equal(t, []string{"web-test"}, ls.DomainsExclude)
	require.Equal(t, []string{"running"}, ls.DomainStates)
	require.False(t, ls.NoWait)
	require.True(t, ls.Backing)
	require.False(t, ls.ReadOnly)
	require.Equal(t, config.Duration(90*time.Second), ls.Timeout)
	pw, err := ls.Password.Get()
	require.NoError(t, err)
	defer pw.Destroy()
	require.Equal(t, `pa"ss`, pw.String())
}

// The sub-tables of docs/layout.md's Nova recipe belong to the
// [[inputs.libvirt_stats]] table above them.
func TestLoadInputLayoutAndTags(t *testing.T) {
	in, err := loadInput(writeConf(t, `
[[inputs.libvirt_stats]]
  layout = "device"
  state_names = true
  metadata_refresh_interval = "10m"
  [inputs.libvirt_stats.metadata_namespaces]
    nova = "http://openstack.org/xmlns/libvirt/nova/1.1"
  [inputs.libvirt_stats.metadata_tags]
    instance_name = "/domain/metadata/nova:instance/nova:name"
    flavor = "/domain/metadata/nova:instance/nova:flavor/@name"
`))
	require.NoError(t, err)
	ls := in.Input.(*libvirt_stats.LibvirtStats)
	require.Equal(t, "device", ls.Layout)
	require.True(t, ls.StateNames)
	require.Equal(t, config.Duration(10*time.Minute), ls.MetadataRefreshInterval)
	require.Equal(t, map[string]string{"nova": "http://openstack.org/xmlns/libvirt/nova/1.1"}, ls.MetadataNamespaces)
	require.Equal(t, map[string]string{
		"instance_name": "/domain/metadata/nova:instance/nova:name",
		"flavor":        "/domain/metadata/nova:instance/nova:flavor/@name",
	}, ls.MetadataTags)
	require.NoError(t, ls.Init())
}

// sample.conf with every option uncommented loads and passes Init: its
// examples are valid, the Nova recipe included.
func TestSampleConfUncommented(t *testing.T) {
	var b strings.Builder
	for _, line := range strings.SplitAfter((&libvirt_stats.LibvirtStats{}).SampleConfig(), "\n") {
		if rest, ok := strings.CutPrefix(line, "  # "); ok {
			line = "  " + rest
		}
		b.WriteString(line)
	}
	in, err := loadInput(writeConf(t, b.String()))
	require.NoError(t, err, b.String())
	ls := in.Input.(*libvirt_stats.LibvirtStats)
	require.Len(t, ls.MetadataTags, 6)
	require.Equal(t, "domain", ls.Layout)
	require.NoError(t, ls.Init())
}

func TestLoadInputDurationAsNumber(t *testing.T) {
	in, err := loadInput(writeConf(t, "[[inputs.libvirt_stats]]\n  timeout = 3\n"))
	require.NoError(t, err)
	require.Equal(t, config.Duration(3*time.Second), in.Input.(*libvirt_stats.LibvirtStats).Timeout)
}

func TestLoadInputNoFileGivesDefaults(t *testing.T) {
	in, err := loadInput("")
	require.NoError(t, err)
	require.Equal(t, "qemu:///system", in.Input.(*libvirt_stats.LibvirtStats).URI)
}

func TestLoadInputErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"unknown key", "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n  statistic_groups = [\"state\"]\n",
			`configuration specified the fields ["statistic_groups"], but they were not used`},
		{"other input", "[[inputs.cpu]]\n", `unknown input "cpu": this binary runs only [[inputs.libvirt_stats]]`},
		{"no table", "# nothing\n", `no [[inputs.libvirt_stats]] table`},
		{"two tables", "[[inputs.libvirt_stats]]\n[[inputs.libvirt_stats]]\n", `2 [[inputs.libvirt_stats]] tables`},
		{"wrong type", "[[inputs.libvirt_stats]]\n  nowait = \"yes\"\n", `line 2: (libvirt_stats.LibvirtStats.NoWait) cannot unmarshal TOML string into bool`},
		{"agent table", "[agent]\n  interval = \"1s\"\n[[inputs.libvirt_stats]]\n", `table [agent]: this binary reads only one [[inputs.libvirt_stats]] table`},
		{"output", "[[inputs.libvirt_stats]]\n[[outputs.file]]\n", `table [outputs]: this binary reads only one`},
		{"bad per-plugin option", "[[inputs.libvirt_stats]]\n  fieldinclude = \"state.*\"\n", `fieldinclude`},
		{"secret without store", "[[inputs.libvirt_stats]]\n  password = \"@{vault:pw}\"\n", `vault`},
		{"bad duration", "[[inputs.libvirt_stats]]\n  timeout = \"5 parsecs\"\n", `5 parsecs`},
		{"bad toml", "[[inputs.libvirt_stats]\n", `toml`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadInput(writeConf(t, tt.body))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestBinary(t *testing.T) {
	bin := binary(t)

	t.Run("once", func(t *testing.T) {
		out, errOut, code := run(t, bin, "-once", "-config", writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n"))
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, `^libvirt_stats,domain=test,uuid=6695eb01-f6a4-8304-79aa-97f2502e193f state.state=1i,state.reason=0i \d{19}\n$`, out)
	})
	t.Run("once keeps uint64", func(t *testing.T) {
		out, errOut, code := run(t, bin, "-once", "-config", writeConf(t,
			"[[inputs.libvirt_stats]]\n  libvirt_uri = \""+nodeURI(t)+"\"\n  domains = [\"node-0003\"]\n"))
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "iothread.count=4u,")
	})
	t.Run("once unreachable", func(t *testing.T) {
		uri := "qemu+unix:///system?socket=/nonexistent/sock"
		start := time.Now()
		out, errOut, code := run(t, bin, "-once", "-config", writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \""+uri+"\"\n"))
		require.Less(t, time.Since(start), 10*time.Second)
		require.NotEqual(t, 0, code)
		require.Empty(t, out)
		require.Contains(t, errOut, `connecting to "`+uri+`"`)
	})
	t.Run("bad config", func(t *testing.T) {
		_, errOut, code := run(t, bin, "-once", "-config", writeConf(t, "[[inputs.libvirt_stats]]\n  domain_states = [\"up\"]\n"))
		require.NotEqual(t, 0, code)
		require.Contains(t, errOut, `unknown domain state "up"`)
	})
	t.Run("version", func(t *testing.T) {
		out, _, code := run(t, bin, "-version")
		require.Equal(t, 0, code)
		// the package version (internal/version) and the libvirt library's
		require.Regexp(t, `^telegraf-libvirt `+regexp.QuoteMeta(version.Version)+` \(libvirt \d+\.\d+\.\d+\)\n$`, out)
	})
	t.Run("SIGTERM stops polling", func(t *testing.T) {
		cmd := exec.Command(bin, "-poll_interval", "50ms", "-config", writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n"))
		stdin, err := cmd.StdinPipe() // kept open: only the signal stops it
		require.NoError(t, err)
		defer stdin.Close()
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		lines := bufio.NewReader(stdout)
		// A binary that writes nothing must fail the test, not hang it.
		killer := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
		for range 2 {
			line, err := lines.ReadString('\n')
			require.NoError(t, err, "no line within 30 s: %s", &stderr)
			require.Regexp(t, `^libvirt_stats,domain=test,uuid=\S+ state.state=1i,state.reason=0i \d+\n$`, line)
		}
		killer.Stop()
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		go io.Copy(io.Discard, lines) //nolint:errcheck // drain until exit
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			require.NoError(t, err, "exits 0 on SIGTERM: %s", stderr.String())
		case <-time.After(10 * time.Second):
			require.NoError(t, cmd.Process.Kill())
			t.Fatal("still running 10 s after SIGTERM")
		}
	})
	t.Run("stdin signal", func(t *testing.T) {
		cmd := exec.Command(bin, "-poll_interval_disabled", "-config", writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n"))
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := bufio.NewReader(stdout)
		for range 2 {
			_, err = stdin.Write([]byte("\n"))
			require.NoError(t, err)
			line, err := lines.ReadString('\n')
			require.NoError(t, err)
			require.Regexp(t, `^libvirt_stats,domain=test,uuid=\S+ state.state=1i,state.reason=0i \d+\n$`, line)
		}
		require.NoError(t, stdin.Close())
		require.NoError(t, cmd.Wait(), "exits 0 when stdin closes")
	})
}

// Between gathers no thread of the binary may sit in read(2) on stdin
// (see pollableStdin): /proc/PID/task/TID/syscall starts with the number
// of the system call a blocked thread is in and its arguments, "0 0x0 ..."
// for read on descriptor 0.
func TestStdinReadThroughPoller(t *testing.T) {
	bin := binary(t)
	conf := writeConf(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n")
	out := filepath.Join(t.TempDir(), "out.lp")
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	cmd := exec.Command(bin, "-config", conf, "-poll_interval_disabled")
	cmd.Stdout, cmd.Stderr = f, f
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = stdin.Close()
		require.NoError(t, cmd.Wait())
	}()

	_, err = stdin.Write([]byte("\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "libvirt_stats,")
	}, 30*time.Second, 10*time.Millisecond, "no gather")
	time.Sleep(200 * time.Millisecond) // the reader is back waiting for the next line

	tasks, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "task", "*", "syscall"))
	require.NoError(t, err)
	require.NotEmpty(t, tasks)
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if os.IsNotExist(err) {
			continue // the thread exited
		}
		require.NoError(t, err)
		require.False(t, strings.HasPrefix(string(b), "0 0x0 "), "%s: a thread is blocked in read(2) on stdin: %s", task, b)
	}
}
