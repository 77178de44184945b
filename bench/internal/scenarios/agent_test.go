package scenarios

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/logger"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/replay"
)

const twoMetrics = "libvirt_stats,domain=a cpu.time=1u,state.state=1i 1700000000000000000\n" +
	"libvirt_stats,domain=b cpu.time=2u 1700000000000000000\n"

// Gathers are told apart by the gaps between timestamps, whatever second
// they fall in; the first and last (maybe cut) gathers do not count.
func TestCountLPSplitsGathers(t *testing.T) {
	var b strings.Builder
	base := int64(1700000000_900_000_000) // bursts straddle whole seconds
	for g := range 4 {
		n := 3
		if g == 3 {
			n = 1 // the last gather, cut by the stop
		}
		for i := range n {
			ts := base + int64(g)*1e9 + int64(i)*50e6
			b.WriteString("m,domain=d" + string(rune('a'+i)) + " x=1i,y=2i " + strconv.FormatInt(ts, 10) + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "calib.lp")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	cal, err := countLP(path, true)
	require.NoError(t, err)
	require.Equal(t, results.AgentCalib{Metrics: 3, Fields: 6, Bytes: len(b.String()) / 4, Gathers: 4}, cal)
}

// replayexec answers every line on stdin with the whole recording, every
// timestamp set to now, in a form Telegraf's influx parser reads.
func TestReplayExec(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "replayexec")
	out, err := exec.Command("go", "build", "-o", bin, "../../replayexec").CombinedOutput()
	require.NoError(t, err, string(out))
	rec := filepath.Join(dir, "rec.lp")
	require.NoError(t, os.WriteFile(rec, []byte(twoMetrics), 0o644))

	cmd := exec.Command(bin, rec)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewReader(stdout)
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	for range 2 {
		before := time.Now()
		_, err := io.WriteString(stdin, "\n")
		require.NoError(t, err)
		for i := range 2 {
			line, err := lines.ReadString('\n')
			require.NoError(t, err)
			m, err := p.ParseLine(line)
			require.NoError(t, err)
			require.False(t, m.Time().Before(before), "line %d: %s", i, line)
		}
	}
	require.NoError(t, stdin.Close())
}

// inputs.tlvbench_replay adds a fresh copy of every recorded metric at each
// gather, stamped with the gather's time.
func TestReplayInput(t *testing.T) {
	rec := filepath.Join(t.TempDir(), "rec.lp")
	require.NoError(t, os.WriteFile(rec, []byte(twoMetrics), 0o644))
	in := &replay.Replay{File: rec}
	require.NoError(t, in.Init())
	sink := newSink(logger.New("inputs", "tlvbench_replay", ""), "libvirt_stats")
	before := time.Now()
	require.NoError(t, in.Gather(sink.acc))
	require.NoError(t, in.Gather(sink.acc))
	var ms []telegraf.Metric
	for len(sink.ch) > 0 {
		ms = append(ms, <-sink.ch)
	}
	require.Len(t, ms, 4)
	require.NotSame(t, ms[0], ms[2])
	require.Equal(t, uint64(1), ms[0].Fields()["cpu.time"])
	require.False(t, ms[3].Time().Before(before))
	require.Error(t, (&replay.Replay{File: filepath.Join(t.TempDir(), "missing.lp")}).Init())
}

// The window counts the gathers stamped inside it, each burst once.
func TestInWindow(t *testing.T) {
	base := time.Unix(1700000000, 0)
	var lines []stampedLine
	for g := range 6 { // gathers at x.1 s, 3 metrics of 2 fields 10 ms apart
		for i := range 3 {
			ts := base.Add(time.Duration(g)*time.Second + 100*time.Millisecond + time.Duration(i)*10*time.Millisecond)
			lines = append(lines, stampedLine{ts: ts.UnixNano(), fields: 2})
		}
	}
	lines[4], lines[10] = lines[10], lines[4] // order does not matter
	g, m, f := inWindow(lines, base.Add(950*time.Millisecond), base.Add(4950*time.Millisecond))
	require.Equal(t, [3]int{4, 12, 24}, [3]int{g, m, f})
}

// A contender's calibration is the median of its rounds' metrics and
// fields per gather; a window without gathers and a contender without
// rounds count for nothing.
func TestCalibrate(t *testing.T) {
	res := &results.AgentResult{Contenders: []string{"agent-execd", "limit-execd"}, Calib: map[string]results.AgentCalib{}, Agent: []results.AgentSample{
		{Contender: "agent-execd", Gathers: 5, Metrics: 50, Fields: 500},
		{Contender: "agent-execd", Gathers: 4, Metrics: 44, Fields: 440},
		{Contender: "agent-execd", Gathers: 5, Metrics: 60, Fields: 600},
		{Contender: "agent-execd", Gathers: 0, Metrics: 9, Fields: 9},
	}}
	calibrate(res)
	require.Equal(t, map[string]results.AgentCalib{"agent-execd": {Metrics: 11, Fields: 110, Gathers: 3}}, res.Calib)
}

// Telegraf's log gives a window its error count, the first error line and
// the gathers that overran the interval.
func TestCountLog(t *testing.T) {
	var s results.AgentSample
	countLog(&s, []byte("2026-12-05T18:00:00Z I! Starting\n"+
		"2026-12-05T18:00:01Z E! [inputs.execd] first\n"+
		"2026-12-05T18:00:02Z W! [inputs.execd] Collection took longer than expected; not complete after interval of 1s\n"+
		"2026-12-05T18:00:03Z E! [inputs.execd] second\n"))
	require.Equal(t, 2, s.LogErrors)
	require.Equal(t, "2026-12-05T18:00:01Z E! [inputs.execd] first", s.FirstError)
	require.Equal(t, 1, s.LogOverruns)
}

// A process that exits before the wait ends fails the wait with its log;
// stop ends a running one with SIGTERM, and a second stop does nothing.
func TestTelegrafProc(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "log")
	require.NoError(t, os.WriteFile(logPath, []byte("E! it broke"), 0o644))
	early := exec.Command("/bin/true")
	require.NoError(t, early.Start())
	p := newTelegrafProc(early, logPath)
	err := p.sleepUntil(time.Now().Add(time.Minute))
	require.ErrorContains(t, err, "telegraf exited early")
	require.ErrorContains(t, err, "E! it broke")
	require.NoError(t, p.stop()) // already gone: nothing to stop

	running := exec.Command("/bin/sleep", "60")
	require.NoError(t, running.Start())
	p = newTelegrafProc(running, logPath)
	require.NoError(t, p.sleepUntil(time.Now().Add(10*time.Millisecond)))
	var ee *exec.ExitError
	require.ErrorAs(t, p.stop(), &ee) // killed by SIGTERM
	require.NoError(t, p.stop())
}
