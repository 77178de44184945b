package results

import (
	"maps"
	"slices"
)

// HostRound is one round of a case with the same round's idle window
// subtracted, ms per gather (NaN where the round has no idle window).
type HostRound struct {
	Libvirtd, QEMU, Client, Host float64 // Host: libvirtd + QEMU
	Total                        float64 // Host + Client: all the host pays for a gather
	QEMUs                        int
}

// HostRounds is a case's cost per round, ms per gather: each window less
// what libvirtd and QEMU burn idle over as long a window, at the mean rate
// of the idle windows right before and after it in the same round (a
// round with one idle window, not bracketed: that one).
func HostRounds(res *HostResult, name string) map[int]HostRound {
	idle := map[int][]HostSample{}
	for _, s := range res.Samples {
		if s.Case == "idle" && s.WindowNs > 0 {
			idle[s.Round] = append(idle[s.Round], s)
		}
	}
	out := map[int]HostRound{}
	for _, s := range res.Samples {
		if s.Case != name || s.Gathers == 0 {
			continue
		}
		ref := idleAround(idle[s.Round], s.Seq)
		if len(ref) == 0 {
			continue
		}
		var lRate, qRate float64 // ns of CPU per ns of window
		for _, i := range ref {
			lRate += float64(i.LibvirtdNs) / float64(i.WindowNs) / float64(len(ref))
			qRate += float64(i.QEMUNs) / float64(i.WindowNs) / float64(len(ref))
		}
		w := float64(s.WindowNs)
		per := func(v int64, rate float64) float64 { return (float64(v) - rate*w) / float64(s.Gathers) / 1e6 }
		r := HostRound{Libvirtd: per(s.LibvirtdNs, lRate), QEMU: per(s.QEMUNs, qRate),
			Client: float64(s.ClientNs) / float64(s.Gathers) / 1e6, QEMUs: s.QEMUs}
		r.Host = r.Libvirtd + r.QEMU
		r.Total = r.Host + r.Client
		out[s.Round] = r
	}
	return out
}

// idleAround is the idle windows right before and right after position
// seq; where there is neither, every idle window of the round.
func idleAround(idle []HostSample, seq int) []HostSample {
	var before, after *HostSample
	for i := range idle {
		w := &idle[i]
		if w.Seq < seq && (before == nil || w.Seq > before.Seq) {
			before = w
		}
		if w.Seq > seq && (after == nil || w.Seq < after.Seq) {
			after = w
		}
	}
	var out []HostSample
	for _, w := range []*HostSample{before, after} {
		if w != nil {
			out = append(out, *w)
		}
	}
	if len(out) == 0 {
		return idle
	}
	return out
}

// HostDist is the spread over the rounds of one part of a case.
func HostDist(rs map[int]HostRound, part func(HostRound) float64) Dist {
	var xs []float64
	for _, r := range rs {
		xs = append(xs, part(r))
	}
	return DistOf(xs)
}

// HostRatio is a/b of a part round by round (both ran in each round: the
// host's drift cancels), over the rounds where b is positive.
func HostRatio(res *HostResult, a, b string, part func(HostRound) float64) Dist {
	ra, rb := HostRounds(res, a), HostRounds(res, b)
	var xs []float64
	for _, r := range slices.Sorted(maps.Keys(ra)) {
		x, y := ra[r], rb[r]
		if _, ok := rb[r]; ok && part(y) > 0 {
			xs = append(xs, part(x)/part(y))
		}
	}
	return DistOf(xs)
}

// PartHost is libvirtd + QEMU of a round.
func PartHost(r HostRound) float64 { return r.Host }

// PartTotal is the client + libvirtd + QEMU of a round.
func PartTotal(r HostRound) float64 { return r.Total }

// PartLibvirtd is libvirtd's part of a round.
func PartLibvirtd(r HostRound) float64 { return r.Libvirtd }

// PartQEMU is the QEMU processes' part of a round.
func PartQEMU(r HostRound) float64 { return r.QEMU }

// PartClient is the client's own CPU in a round.
func PartClient(r HostRound) float64 { return r.Client }
