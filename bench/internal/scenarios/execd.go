package scenarios

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
)

// Execd is tlvbench execd: it drives the telegraf-libvirt execd binary over
// stdin and records its CPU per gather and RSS, read from /proc.
func Execd(args []string) error {
	fs := flag.NewFlagSet("execd", flag.ExitOnError)
	bin := fs.String("bin", "", "the telegraf-libvirt binary")
	conf := fs.String("config", "", "its -config file (collector_metrics = true)")
	gathers := fs.Int("gathers", 1000, "gathers")
	out := fs.String("out", "", "results JSON file")
	_ = fs.Parse(args)
	if *bin == "" || *conf == "" || *out == "" {
		return fmt.Errorf("need -bin, -config and -out")
	}
	res := results.ExecdResult{Config: *conf, Gathers: *gathers, TickHz: 100, Started: time.Now(), Binary: *bin}
	if b, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if hz, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			res.TickHz = hz
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd, stdin, stdout, err := startExecd(ctx, *bin, *conf, &stderr)
	if err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	lines := bufio.NewReaderSize(stdout, 1<<20)

	cpu0, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	for i := range *gathers {
		t0 := time.Now()
		if _, err := io.WriteString(stdin, "\n"); err != nil {
			return fmt.Errorf("gather %d: %w: %s", i, err, stderr.String())
		}
		n, size := 0, 0
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				return fmt.Errorf("gather %d: %w: %s", i, err, stderr.String())
			}
			n++
			size += len(line)
			if strings.HasPrefix(line, "libvirt_stats_collector,") {
				res.Collector = strings.TrimSpace(line)
				break
			}
		}
		res.WallNs = append(res.WallNs, time.Since(t0).Nanoseconds())
		res.Lines, res.Bytes = n, size
		ticks, err := procCPUTicks(pid)
		if err != nil {
			return err
		}
		mem, err := procStatus(pid)
		if err != nil {
			return err
		}
		rss := mem["VmRSS"]
		res.CPUTicks = append(res.CPUTicks, ticks)
		res.RSSKiB = append(res.RSSKiB, rss)
	}
	cpu1, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	res.IdleHost = cpu1.IdleSince(cpu0)
	mem, err := procStatus(pid)
	if err != nil {
		return err
	}
	res.HWMKiB, res.AnonKiB, res.FileKiB = mem["VmHWM"], mem["RssAnon"], mem["RssFile"]
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid)); err == nil {
		res.Threads = len(ents)
	}
	res.Took = time.Since(res.Started).Seconds()
	logf("execd: %d gathers in %.1f s, %d lines per gather, RSS %d KiB at the end (peak %d KiB)",
		*gathers, res.Took, res.Lines, res.RSSKiB[len(res.RSSKiB)-1], res.HWMKiB)
	return writeJSON(*out, res)
}

// procCPUTicks is utime + stime of a process, every thread, in clock ticks.
func procCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields start after the last ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, errors.Join(err1, err2))
	}
	return ut + st, nil
}

// procStatus is the kB values of /proc/PID/status (VmRSS, VmHWM, RssAnon, ...).
func procStatus(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, nil
}

// startExecd starts the execd binary as inputs.execd with signal = "STDIN"
// runs it, its stderr into stderr; the caller waits for it.
func startExecd(ctx context.Context, bin, conf string, stderr *bytes.Buffer) (*exec.Cmd, io.WriteCloser, io.ReadCloser, error) {
	cmd := exec.CommandContext(ctx, bin, "-config", conf, "-poll_interval_disabled")
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	return cmd, stdin, stdout, nil
}
