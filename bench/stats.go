package main

import (
	"math"
	"slices"
)

// dist is the spread of one quantity over the rounds.
type dist struct {
	Median, Min, Max, P25, P75 float64
	N                          int
}

func distOf(xs []float64) dist {
	if len(xs) == 0 {
		return dist{Median: math.NaN(), Min: math.NaN(), Max: math.NaN(), P25: math.NaN(), P75: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return dist{Median: quantile(s, 0.5), Min: s[0], Max: s[len(s)-1], P25: quantile(s, 0.25), P75: quantile(s, 0.75), N: len(s)}
}

// quantile of sorted s, linear between the closest ranks.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// perRound is one value per process (round) of a contender: a quantity per
// gather, averaged over the process's measured gathers.
type perRound struct {
	Wall, CPU, User, Sys, GoAllocs, GoBytes, CMallocs, CtxSw []float64
	Tally                                                    tally
}

func roundsOf(samples []gatherResult, contender string) perRound {
	var p perRound
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

// pairedRatios is a/b per round: the two contenders ran one after the
// other in each round, so the ratio of the same round cancels slow drifts
// of the host.
//
//nolint:unparam // a is named at every call so it reads "plugin over floor"; all ratios today have the plugin on top
func pairedRatios(samples []gatherResult, a, b string, value func(gatherResult) float64) []float64 {
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

func wallOf(g gatherResult) float64 { return float64(g.BlockNs) / float64(g.N) }
func cpuOf(g gatherResult) float64  { return float64(g.UserNs+g.SysNs) / float64(g.N) }
