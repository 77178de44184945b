//go:build cgo && linux

package domstatstest

import (
	"runtime"
	"testing"
)

// PerParam runs op as the benchmark's loop and reports its time, heap
// allocations and bytes per typed parameter, op handling params of them a
// run: the unit the conversion and shaping benchmarks are compared in.
func PerParam(b *testing.B, params int, op func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		op()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(params)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/param")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/param")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/param")
}
