package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// record writes one gather of the execd binary as it writes it under
// inputs.execd (-poll_interval_disabled, a line on stdin; its -once output
// differs: uint64 with the u suffix) for the two limits to replay. -once
// first tells how many lines a gather has.
func (a *agentRun) record() error {
	conf := filepath.Join(a.dir, "libvirt_stats.conf")
	if err := os.WriteFile(conf, []byte(a.pluginConf()), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	once := exec.CommandContext(ctx, a.bin, "-once", "-config", conf)
	once.Stderr = &stderr
	lp, err := once.Output()
	if err != nil {
		return fmt.Errorf("recording a gather: %s -once: %w: %s", a.bin, err, stderr.String())
	}
	lines := bytes.Count(lp, []byte("\n"))
	cmd, stdin, stdout, err := startExecd(ctx, a.bin, conf, &stderr)
	if err != nil {
		return err
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	if _, err := stdin.Write([]byte("\n")); err != nil {
		return err
	}
	r := bufio.NewReader(stdout)
	var rec bytes.Buffer
	for range lines {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return fmt.Errorf("recording a gather: %w: %s", err, stderr.String())
		}
		rec.Write(line)
	}
	return os.WriteFile(a.recorded, rec.Bytes(), 0o644)
}

// pluginConf is inputs.libvirt_stats as both the execd binary and the
// compiled-in plugin run it: defaults, on the read-write socket like
// inputs.libvirt (see BENCHMARKS.md's method).
func (a *agentRun) pluginConf() string {
	return fmt.Sprintf("[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n  read_only = false\n", a.uri)
}

// input is the Telegraf build contender c runs and its input's TOML.
func (a *agentRun) input(c string) (telegrafBin, toml string) {
	switch c {
	case "agent-execd":
		return a.stock, fmt.Sprintf("[[inputs.execd]]\n  command = [%q, \"-config\", %q, \"-poll_interval_disabled\"]\n  signal = \"STDIN\"\n  data_format = \"influx\"\n",
			a.bin, filepath.Join(a.dir, "libvirt_stats.conf"))
	case "agent-compiled":
		return a.custom, a.pluginConf()
	case "agent-inputs.libvirt":
		return a.stock, fmt.Sprintf("[[inputs.libvirt]]\n  libvirt_uri = %q\n", a.uri)
	case "limit-execd":
		return a.stock, fmt.Sprintf("[[inputs.execd]]\n  command = [%q, %q]\n  signal = \"STDIN\"\n  data_format = \"influx\"\n", a.replayExec, a.recorded)
	case "limit-compiled":
		return a.custom, fmt.Sprintf("[[inputs.tlvbench_replay]]\n  file = %q\n", a.recorded)
	}
	panic("unknown agent contender " + c)
}

// agentConf: gather and flush every second, aligned, no jitter; every
// metric of a gather fits one batch.
func agentConf(input, outFile string) string {
	return fmt.Sprintf(`[agent]
  interval = "1s"
  round_interval = true
  collection_jitter = "0s"
  flush_interval = "1s"
  flush_jitter = "0s"
  metric_batch_size = 10000
  metric_buffer_limit = 100000
  precision = "1ns"

[[outputs.file]]
  files = [%q]
  data_format = "influx"

%s`, outFile, input)
}

// writeConfigs writes each Telegraf contender's configuration into the
// work directory, a.configs their paths.
func (a *agentRun) writeConfigs() error {
	a.configs = map[string]string{}
	for _, c := range results.AgentContenders {
		if !strings.HasPrefix(c, "agent-") && !strings.HasPrefix(c, "limit-") {
			continue
		}
		_, in := a.input(c)
		path := filepath.Join(a.dir, c+".conf")
		if err := os.WriteFile(path, []byte(agentConf(in, a.fifo(c))), 0o644); err != nil {
			return err
		}
		a.configs[c] = path
	}
	return nil
}

// fifo is where a contender's outputs.file writes: a named pipe the
// harness reads, so that it counts the gathers inside the window by their
// metrics' timestamps (a gather that outlives its interval makes Telegraf
// skip the next, and execd folds newlines that arrive during a gather).
// Writing to a pipe costs Telegraf what writing to /dev/null does, the
// write calls; reading it costs the harness, outside the cgroup.
func (a *agentRun) fifo(c string) string { return filepath.Join(a.dir, c+".fifo") }
