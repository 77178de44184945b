//go:build cgo && linux

package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/influxdata/telegraf/models"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/lineproto"
)

// lineAccumulator is Telegraf's agent accumulator (agent/accumulator.go)
// with the metric channel replaced by the line-protocol encoder: each
// metric goes through the RunningInput (per-plugin tags, name and filter
// options, as compiled into Telegraf), then straight into one buffer that
// gather writes with a single write.
type lineAccumulator struct {
	ri        *models.RunningInput
	precision time.Duration

	mu     sync.Mutex // Gather may add from goroutines of its own
	enc    lineproto.Encoder
	errors int // AddError calls in this gather
}

func newLineAccumulator(ri *models.RunningInput, uintSupport bool) *lineAccumulator {
	a := &lineAccumulator{ri: ri, precision: time.Nanosecond}
	// The table's precision, as Telegraf's agent applies it; nanoseconds
	// otherwise, as the shim did (Telegraf rounds to its own precision).
	if ri.Config.Precision > 0 {
		a.precision = ri.Config.Precision
	}
	a.enc.UintSupport = uintSupport
	a.enc.Debugf = func(format string, args ...any) {
		ri.Log().Debugf("serializing: "+format, args...)
	}
	return a
}

// gather runs one gather and writes its line protocol with one write. It
// returns the write's error; the gather's errors are logged and counted.
func (a *lineAccumulator) gather(w io.Writer) (gatherErrors int, err error) {
	a.mu.Lock()
	a.enc.Reset()
	a.errors = 0
	a.mu.Unlock()
	if err := a.ri.Gather(a); err != nil {
		a.AddError(fmt.Errorf("failed to gather metrics: %w", err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if b := a.enc.Bytes(); len(b) > 0 {
		_, err = w.Write(b)
	}
	return a.errors, err
}

func (a *lineAccumulator) add(m telegraf.Metric) {
	m = a.ri.MakeMetric(m)
	if m == nil {
		return // filtered out by the table's options
	}
	a.mu.Lock()
	err := a.enc.Append(m)
	a.mu.Unlock()
	if err != nil {
		a.ri.Log().Errorf("serializing metric: %v", err)
		m.Reject()
		return
	}
	m.Accept()
}

func (a *lineAccumulator) addFields(name string, fields map[string]any, tags map[string]string, tp telegraf.ValueType, t []time.Time) {
	ts := time.Now()
	if len(t) > 0 {
		ts = t[0]
	}
	a.add(metric.New(name, tags, fields, ts.Round(a.precision), tp))
}

func (a *lineAccumulator) AddFields(name string, fields map[string]any, tags map[string]string, t ...time.Time) {
	a.addFields(name, fields, tags, telegraf.Untyped, t)
}

func (a *lineAccumulator) AddGauge(name string, fields map[string]any, tags map[string]string, t ...time.Time) {
	a.addFields(name, fields, tags, telegraf.Gauge, t)
}

func (a *lineAccumulator) AddCounter(name string, fields map[string]any, tags map[string]string, t ...time.Time) {
	a.addFields(name, fields, tags, telegraf.Counter, t)
}

func (a *lineAccumulator) AddSummary(name string, fields map[string]any, tags map[string]string, t ...time.Time) {
	a.addFields(name, fields, tags, telegraf.Summary, t)
}

func (a *lineAccumulator) AddHistogram(name string, fields map[string]any, tags map[string]string, t ...time.Time) {
	a.addFields(name, fields, tags, telegraf.Histogram, t)
}

func (a *lineAccumulator) AddMetric(m telegraf.Metric) {
	m.SetTime(m.Time().Round(a.precision))
	a.add(m)
}

// AddError logs as Telegraf's accumulator does.
func (a *lineAccumulator) AddError(err error) {
	if err == nil {
		return
	}
	a.mu.Lock()
	a.errors++
	a.mu.Unlock()
	a.ri.Log().Errorf("Error in plugin: %v", err)
}

func (a *lineAccumulator) SetPrecision(precision time.Duration) { a.precision = precision }

// WithTracking is part of Telegraf's Accumulator interface for service
// inputs that track delivery; inputs.libvirt_stats never calls it, and
// this binary runs nothing else.
func (a *lineAccumulator) WithTracking(int) telegraf.TrackingAccumulator {
	panic("inputs." + pluginName + " asked for metric tracking, which telegraf-libvirt does not implement")
}
