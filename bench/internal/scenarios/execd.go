package scenarios

import (
	"bufio"
	"bytes"
	"context"
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

// execdOptions are execd's flags.
type execdOptions struct {
	bin, conf, out string
	gathers        int
}

func parseExecdOptions(args []string) (execdOptions, error) {
	var o execdOptions
	fs := flag.NewFlagSet("execd", flag.ExitOnError)
	fs.StringVar(&o.bin, "bin", "", "the telegraf-libvirt binary")
	fs.StringVar(&o.conf, "config", "", "its -config file (collector_metrics = true)")
	fs.IntVar(&o.gathers, "gathers", 1000, "gathers")
	fs.StringVar(&o.out, "out", "", "results JSON file")
	_ = fs.Parse(args)
	return o, requireFlags(fs, "bin", "config", "out")
}

// Execd is tlvbench execd: it drives the telegraf-libvirt execd binary over
// stdin and records its CPU per gather and RSS, read from /proc.
func Execd(args []string) error {
	o, err := parseExecdOptions(args)
	if err != nil {
		return err
	}
	res := results.ExecdResult{Config: o.conf, Gathers: o.gathers, TickHz: harness.ClockTicks(), Started: time.Now(), Binary: o.bin}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd, stdin, stdout, err := startExecd(ctx, o.bin, o.conf, &stderr)
	if err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	d := &execdDriver{pid: cmd.Process.Pid, stdin: stdin, lines: bufio.NewReaderSize(stdout, 1<<20), stderr: &stderr}
	cpu0, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	for i := range o.gathers {
		if err := d.gather(&res); err != nil {
			return fmt.Errorf("gather %d: %w", i, err)
		}
	}
	cpu1, err := harness.ReadCPUStat()
	if err != nil {
		return err
	}
	res.IdleHost = cpu1.IdleSince(cpu0)
	if err := d.finish(&res); err != nil {
		return err
	}
	logf("execd: %d gathers in %.1f s, %d lines per gather, RSS %d KiB at the end (peak %d KiB)",
		o.gathers, res.Took, res.Lines, res.RSSKiB[len(res.RSSKiB)-1], res.HWMKiB)
	return writeJSON(o.out, res)
}

// execdDriver is a started execd binary: its stdin to trigger a gather,
// its stdout to read the gather's lines.
type execdDriver struct {
	pid    int
	stdin  io.Writer
	lines  *bufio.Reader
	stderr *bytes.Buffer
}

// gather triggers one gather, reads its lines up to the collector metric
// (the last of a gather) and appends its wall time, the process's CPU
// ticks so far and its RSS to res.
func (d *execdDriver) gather(res *results.ExecdResult) error {
	t0 := time.Now()
	if _, err := io.WriteString(d.stdin, "\n"); err != nil {
		return fmt.Errorf("%w: %s", err, d.stderr.String())
	}
	n, size := 0, 0
	for {
		line, err := d.lines.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%w: %s", err, d.stderr.String())
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
	ticks, err := harness.ProcCPUTicks(d.pid)
	if err != nil {
		return err
	}
	mem, err := procStatus(d.pid)
	if err != nil {
		return err
	}
	res.CPUTicks = append(res.CPUTicks, ticks)
	res.RSSKiB = append(res.RSSKiB, mem["VmRSS"])
	return nil
}

// finish records the process's memory and threads after the last gather.
func (d *execdDriver) finish(res *results.ExecdResult) error {
	mem, err := procStatus(d.pid)
	if err != nil {
		return err
	}
	res.HWMKiB, res.AnonKiB, res.FileKiB = mem["VmHWM"], mem["RssAnon"], mem["RssFile"]
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", d.pid)); err == nil {
		res.Threads = len(ents)
	}
	res.Took = time.Since(res.Started).Seconds()
	return nil
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
