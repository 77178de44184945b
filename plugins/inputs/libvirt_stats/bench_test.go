//go:build cgo && linux

package libvirt_stats

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/agent"
	"github.com/influxdata/telegraf/plugins/inputs"
	"github.com/influxdata/telegraf/testutil"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/nodexml"
)

// Shaping converted records into Telegraf metrics (what Gather does after
// the call and the conversion), on the conversion benchmark's synthetic
// host: 1000 domains × 150 typed parameters. Reported per parameter.
func BenchmarkShape(b *testing.B) { benchShape(b, false) }

// The same records in the device layout (layout = "device"): a metric per
// disk, NIC, vCPU and iothread besides the domain's own.
func BenchmarkShapeDevice(b *testing.B) { benchShape(b, true) }

func benchShape(b *testing.B, device bool) {
	const domains, params = 1000, 150
	conv := domstats.NewConverter()
	recs := make([]domstats.Record, domains)
	for i := range recs {
		cp, err := domstatstest.BuildParams(domstatstest.SyntheticDomain(i, params))
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = domstats.Record{Name: "dom-" + string(rune('a'+i%26)), UUID: string(rune(i)), Params: conv.Convert(cp)}
		cp.Free()
	}
	// The plugin as Init leaves it for this layout, without a connection:
	// the benchmark runs Gather's shaping code itself.
	l := &LibvirtStats{complete: newCompleteness(), deviceLayout: device}
	var acc countingAcc
	shape := func() {
		acc.metrics = 0
		l.shape(&acc, recs, time.Now())
		if acc.metrics < len(recs) {
			b.Fatalf("%d metrics for %d domains", acc.metrics, len(recs))
		}
	}
	shape()
	domstatstest.PerParam(b, domains*params, shape)
}

// A whole Gather over 1000 test-driver domains in this process (no daemon,
// no RPC): the call, the conversion, the shaping and Telegraf's accumulator.
func BenchmarkGatherTestDriver1000(b *testing.B) {
	node := nodexml.File(b, 1000)
	p := inputs.Inputs["libvirt_stats"]().(*LibvirtStats)
	p.URI = "test://" + node
	p.Log = testutil.Logger{}
	if err := p.Init(); err != nil {
		b.Fatal(err)
	}
	defer p.Stop()
	ch := make(chan telegraf.Metric, 2000)
	acc := agent.NewAccumulator(benchMaker{p.Log}, ch)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Gather(acc); err != nil {
			b.Fatal(err)
		}
		if len(ch) != 1000 {
			b.Fatalf("%d metrics", len(ch))
		}
		for len(ch) > 0 {
			<-ch
		}
	}
}

// countingAcc counts the metrics added and drops them.
type countingAcc struct {
	testutil.NopAccumulator
	metrics int
}

func (a *countingAcc) AddMetric(telegraf.Metric) { a.metrics++ }

// benchMaker is the MetricMaker Telegraf's accumulator needs, adding nothing.
type benchMaker struct{ log telegraf.Logger }

func (benchMaker) LogName() string                              { return "inputs.libvirt_stats" }
func (benchMaker) MakeMetric(m telegraf.Metric) telegraf.Metric { return m }
func (m benchMaker) Log() telegraf.Logger                       { return m.log }
