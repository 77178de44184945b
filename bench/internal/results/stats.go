package results

import (
	"math"
	"slices"
)

// Dist is the spread of one quantity over the rounds.
type Dist struct {
	Median, Min, Max, P25, P75 float64
	N                          int
}

// DistOf is the spread of xs.
func DistOf(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{Median: math.NaN(), Min: math.NaN(), Max: math.NaN(), P25: math.NaN(), P75: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Dist{Median: quantile(s, 0.5), Min: s[0], Max: s[len(s)-1], P25: quantile(s, 0.25), P75: quantile(s, 0.75), N: len(s)}
}

// quantile of sorted s, linear between the closest ranks.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// PerRound is one value per process (round) of a contender: a quantity per
// gather, averaged over the process's measured gathers.
type PerRound struct {
	Wall, CPU, User, Sys, GoAllocs, GoBytes, CMallocs, CtxSw []float64
	Tally                                                    Tally
}

// RoundsOf is contender's values per round from samples.
func RoundsOf(samples []GatherResult, contender string) PerRound {
	var p PerRound
	for _, g := range samples {
		if g.Contender != contender {
			continue
		}
		n := float64(g.N)
		p.Wall = append(p.Wall, float64(g.BlockNs)/n/1e6)
		p.CPU = append(p.CPU, float64(g.UserNs+g.SysNs)/n/1e6)
		p.User = append(p.User, float64(g.UserNs)/n/1e6)
		p.Sys = append(p.Sys, float64(g.SysNs)/n/1e6)
		p.GoAllocs = append(p.GoAllocs, float64(g.GoMallocs)/n)
		p.GoBytes = append(p.GoBytes, float64(g.GoBytes)/n)
		if g.CMallocs >= 0 {
			p.CMallocs = append(p.CMallocs, float64(g.CMallocs)/n)
		}
		p.CtxSw = append(p.CtxSw, float64(g.CtxSw)/n)
		p.Tally = g.Tally
	}
	return p
}

// PairedRatios is a/b per round: the two contenders ran one after the
// other in each round, so the ratio of the same round cancels slow drifts
// of the host.
func PairedRatios(samples []GatherResult, a, b string, value func(GatherResult) float64) []float64 {
	byRound := map[int][2]float64{}
	for _, g := range samples {
		v := byRound[g.Round]
		switch g.Contender {
		case a:
			v[0] = value(g)
		case b:
			v[1] = value(g)
		default:
			continue
		}
		byRound[g.Round] = v
	}
	var out []float64
	for _, v := range byRound {
		if v[0] > 0 && v[1] > 0 {
			out = append(out, v[0]/v[1])
		}
	}
	return out
}

// WallOf is g's wall time per gather, ns.
func WallOf(g GatherResult) float64 { return float64(g.BlockNs) / float64(g.N) }

// CPUOf is g's CPU (user + sys) per gather, ns.
func CPUOf(g GatherResult) float64 { return float64(g.UserNs+g.SysNs) / float64(g.N) }
