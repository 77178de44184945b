package libvirt_stats

import (
	"runtime"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// Shaping converted records into Telegraf metrics (what Gather does after
// the call and the conversion), on the conversion benchmark's synthetic
// host: 1000 domains × 150 typed parameters. Reported per parameter.
func BenchmarkShape(b *testing.B) {
	const domains, params = 1000, 150
	conv := domstats.NewConverter()
	recs := make([]domstats.Record, domains)
	for i := range recs {
		cp, err := domstats.BuildParams(domstats.SyntheticDomain(i, params))
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = domstats.Record{Name: "dom-" + string(rune('a'+i%26)), UUID: string(rune(i)), Params: conv.Convert(cp)}
		cp.Free()
	}
	complete := newCompleteness()
	shape := func() {
		ts := time.Now()
		for _, r := range recs {
			m := domainMetric(r, ts, map[string]string{"domain": r.Name, "uuid": r.UUID})
			if m == nil {
				b.Fatal("no metric")
			}
			markPartial(m, complete.missing(r))
		}
		complete.forgetUnseen()
	}
	shape()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		shape()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * domains * params
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/param")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/param")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/param")
}
