package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestDistOf(t *testing.T) {
	d := distOf([]float64{5, 1, 3, 2, 4})
	want := dist{Median: 3, Min: 1, Max: 5, P25: 2, P75: 4, N: 5}
	if d != want {
		t.Fatalf("distOf = %+v, want %+v", d, want)
	}
	if d := distOf([]float64{1, 2}); d.Median != 1.5 {
		t.Fatalf("median of 1, 2 = %v, want 1.5", d.Median)
	}
	if d := distOf(nil); !math.IsNaN(d.Median) || d.N != 0 {
		t.Fatalf("distOf(nil) = %+v, want NaN and N 0", d)
	}
}

// Ratios pair the contenders of the same round; a round missing either
// contender gives no ratio.
func TestPairedRatios(t *testing.T) {
	g := func(c string, round int, blockNs int64) gatherResult {
		return gatherResult{Contender: c, Round: round, N: 2, BlockNs: blockNs}
	}
	samples := []gatherResult{
		g("plugin", 1, 220), g("floor", 1, 200),
		g("floor", 2, 100), g("plugin", 2, 150), g("telegraf", 2, 999),
		g("plugin", 3, 500), // no floor in round 3
	}
	got := distOf(pairedRatios(samples, "plugin", "floor", wallOf))
	if got.N != 2 || math.Abs(got.Min-1.1) > 1e-9 || math.Abs(got.Max-1.5) > 1e-9 {
		t.Fatalf("ratios %+v, want 1.1 and 1.5", got)
	}
}

// A log line between a benchmark's name and its numbers (the plugin logs at
// Init) does not lose the run.
func TestParseGoBenchLogLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gobench.txt")
	txt := "BenchmarkA-2   \t       2\t 500 ns/op\t  10 allocs/op\n" +
		"BenchmarkA-2   \t2026-12-03T19:00:29Z I! [] telegraf-libvirt 0.1.0, libvirt_uri \"test:///x\"\n" +
		"      54\t  300 ns/op\t  12 allocs/op\n" +
		"PASS\n"
	if err := os.WriteFile(path, []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	gb, err := parseGoBench(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := gb["BenchmarkA"]["ns/op"]; d.N != 2 || d.Min != 300 || d.Max != 500 {
		t.Fatalf("ns/op: %+v", d)
	}
}
