package scenarios

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// stampedLine is one metric Telegraf wrote: its timestamp and field count.
type stampedLine struct {
	ts     int64
	fields int
}

// readStamped reads line protocol from the pipe until Telegraf closes it.
func readStamped(path string, out chan<- []stampedLine) {
	var lines []stampedLine
	defer func() { out <- lines }()
	f, err := os.Open(path) // blocks until Telegraf opens it for writing
	if err != nil {
		return
	}
	defer f.Close()
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		return
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		m, err := p.ParseLine(sc.Text())
		if err != nil {
			continue
		}
		lines = append(lines, stampedLine{ts: m.Time().UnixNano(), fields: len(m.FieldList())})
	}
}

// inWindow counts the gathers (bursts of timestamps more than 300 ms from
// the previous), metrics and fields stamped in [from, to).
func inWindow(lines []stampedLine, from, to time.Time) (gathers, metrics, fields int) {
	ts := slices.Clone(lines)
	slices.SortFunc(ts, func(a, b stampedLine) int { return cmp.Compare(a.ts, b.ts) })
	var last int64
	for _, l := range ts {
		if l.ts < from.UnixNano() || l.ts >= to.UnixNano() {
			continue
		}
		if metrics == 0 || l.ts-last > int64(300*time.Millisecond) {
			gathers++
		}
		last = l.ts
		metrics++
		fields += l.fields
	}
	return gathers, metrics, fields
}

// countLP parses line protocol with Telegraf's influx parser; byGather
// splits it into gathers where consecutive timestamps (ns precision) are
// more than 300 ms apart (a gather's metrics come in one burst, gathers a
// second apart) and gives the median of the complete gathers (the first
// and the last dropped).
func countLP(path string, byGather bool) (results.AgentCalib, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return results.AgentCalib{}, err
	}
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		return results.AgentCalib{}, err
	}
	ms, err := p.Parse(b)
	if err != nil {
		return results.AgentCalib{}, fmt.Errorf("%s: %w", path, err)
	}
	if !byGather {
		cal := results.AgentCalib{Metrics: len(ms), Bytes: len(b), Gathers: 1}
		for _, m := range ms {
			cal.Fields += len(m.FieldList())
		}
		return cal, nil
	}
	slices.SortStableFunc(ms, func(a, b telegraf.Metric) int { return a.Time().Compare(b.Time()) })
	type gather struct{ metrics, fields int }
	var gs []gather
	for i, m := range ms {
		if i == 0 || m.Time().Sub(ms[i-1].Time()) > 300*time.Millisecond {
			gs = append(gs, gather{})
		}
		gs[len(gs)-1].metrics++
		gs[len(gs)-1].fields += len(m.FieldList())
	}
	if len(gs) < 3 {
		return results.AgentCalib{}, fmt.Errorf("%s: %d gathers seen, want at least 3", path, len(gs))
	}
	var mets, fields []float64
	for _, g := range gs[1 : len(gs)-1] {
		mets = append(mets, float64(g.metrics))
		fields = append(fields, float64(g.fields))
	}
	return results.AgentCalib{Metrics: int(results.DistOf(mets).Median), Fields: int(results.DistOf(fields).Median),
		Bytes: len(b) / len(gs), Gathers: len(gs)}, nil
}

// countLog counts Telegraf's error lines (keeping the first) and its
// overrun warnings in log into s.
func countLog(s *results.AgentSample, log []byte) {
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, " E! ") {
			s.LogErrors++
			if s.FirstError == "" {
				s.FirstError = line
			}
		}
		if strings.Contains(line, "Collection took longer than expected") {
			s.LogOverruns++
		}
	}
}
