package results

import (
	"math"
	"testing"
)

func TestDistOf(t *testing.T) {
	d := DistOf([]float64{5, 1, 3, 2, 4})
	want := Dist{Median: 3, Min: 1, Max: 5, P25: 2, P75: 4, N: 5}
	if d != want {
		t.Fatalf("DistOf = %+v, want %+v", d, want)
	}
	if d := DistOf([]float64{1, 2}); d.Median != 1.5 {
		t.Fatalf("median of 1, 2 = %v, want 1.5", d.Median)
	}
	if d := DistOf(nil); !math.IsNaN(d.Median) || d.N != 0 {
		t.Fatalf("DistOf(nil) = %+v, want NaN and N 0", d)
	}
}

// Ratios pair the contenders of the same round; a round missing either
// contender gives no ratio.
func TestPairedRatios(t *testing.T) {
	g := func(c string, round int, blockNs int64) GatherResult {
		return GatherResult{Contender: c, Round: round, N: 2, BlockNs: blockNs}
	}
	samples := []GatherResult{
		g("plugin", 1, 220), g("floor", 1, 200),
		g("floor", 2, 100), g("plugin", 2, 150), g("telegraf", 2, 999),
		g("plugin", 3, 500), // no floor in round 3
	}
	got := DistOf(PairedRatios(samples, "plugin", "floor", WallOf))
	if got.N != 2 || math.Abs(got.Min-1.1) > 1e-9 || math.Abs(got.Max-1.5) > 1e-9 {
		t.Fatalf("ratios %+v, want 1.1 and 1.5", got)
	}
}
