package report

import (
	"fmt"
	"math"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// The host-cost section of BENCHMARKS.md and its summary in
// docs/performance.md: what libvirtd and QEMU burn per gather, from
// hostcost.json (the main cases) and hostcost-groups.json (each group
// alone); a run from before the scenario has neither.

// hostScale is what the extrapolation assumes: a 10 s interval on a host
// of 100 guests.
const (
	hostScaleGuests    = 100
	hostScaleIntervalS = 10
)

type hostRow struct {
	Name                         string
	Libvirtd, QEMU, Host, Client results.Dist // ms per gather, idle subtracted (client: its own CPU)
	Total                        results.Dist // client + libvirtd + QEMU
	PerDomain, ClientPerDomain   float64      // ms per gather and domain, medians
	ScaledPct                    float64      // % of a core: hostScaleGuests at hostScaleIntervalS, agent + libvirtd + QEMU
	QEMUs                        int
	Guests, IntervalS            int // the extrapolation's: hostScaleGuests, hostScaleIntervalS
}

type hostGroupRow struct {
	Group                          string
	PluginLibvirtd, PluginQEMU     results.Dist
	TelegrafLibvirtd, TelegrafQEMU results.Dist
}

type hostSectionData struct {
	Main                                        *results.HostResult
	Groups                                      *results.HostResult
	Linux                                       *results.HostResult // the same cases with the lab's Linux guests running
	Rows                                        []hostRow
	LinuxRows                                   []hostRow
	GroupRows                                   []hostGroupRow
	Guests, IntervalS                           int
	TookS, GroupsTookS                          float64
	Savings                                     float64 // 1 - recommended ÷ all groups, host CPU per unit of time
	PluginOverTelegraf                          float64
	SavingsLibvirtd, PluginOverTelegrafLibvirtd float64 // the same ratios, libvirtd alone (QEMU carries every guest's own load: the noise)
}

var hostCaseNames = []struct{ c, name string }{
	{"plugin-all", "**this plugin**, its defaults (every group, NOWAIT)"},
	{"floor", "the bare bulk call, the same arguments, no metrics built (floor)"},
	{"plugin-shared", "**this plugin**, `inputs.libvirt`'s 10 groups"},
	{"telegraf-shared", "Telegraf `inputs.libvirt`, its 10 groups"},
	{"recommended", "**`examples/recommended.conf`** (5 groups every gather, 6 every 6th)"},
}

func hostRowOf(res *results.HostResult, c, name string) hostRow {
	rs := results.HostRounds(res, c)
	row := hostRow{Name: name, Guests: hostScaleGuests, IntervalS: hostScaleIntervalS, Libvirtd: results.HostDist(rs, results.PartLibvirtd), QEMU: results.HostDist(rs, results.PartQEMU),
		Host: results.HostDist(rs, results.PartHost), Client: results.HostDist(rs, results.PartClient),
		Total: results.HostDist(rs, results.PartTotal)}
	for _, r := range rs {
		row.QEMUs = max(row.QEMUs, r.QEMUs)
	}
	row.PerDomain, row.ClientPerDomain = math.NaN(), math.NaN()
	if row.QEMUs > 0 {
		row.PerDomain = row.Host.Median / float64(row.QEMUs)
		row.ClientPerDomain = row.Client.Median / float64(row.QEMUs)
	}
	// ms per gather and guest × guests ÷ interval in ms, in % of a core.
	row.ScaledPct = (row.PerDomain + row.ClientPerDomain) * hostScaleGuests / (hostScaleIntervalS * 1000) * 100
	return row
}

// hostTargets: this plugin costs the host no more per gather than
// inputs.libvirt on the same groups; the recommended configuration costs
// at most 0.6 of every group every interval per unit of time (both ran
// windows of the same number of gathers, so per gather is per unit of time).
// What the host pays is all of it: the gathering client, libvirtd and QEMU.
func (r *report) hostTargets(h *results.HostResult, guests string) {
	r.ratioTarget("host CPU (client + libvirtd + QEMU) per gather, this plugin ÷ inputs.libvirt, same 10 groups, "+guests, "≤ 1.0", 1.0,
		results.HostDist(results.HostRounds(h, "plugin-shared"), results.PartTotal), results.HostDist(results.HostRounds(h, "telegraf-shared"), results.PartTotal),
		results.HostRatio(h, "plugin-shared", "telegraf-shared", results.PartTotal))
	r.ratioTarget("host CPU (client + libvirtd + QEMU) per unit of time, `examples/recommended.conf` ÷ every group every interval, "+guests, "≤ 0.6", 0.6,
		results.HostDist(results.HostRounds(h, "recommended"), results.PartTotal), results.HostDist(results.HostRounds(h, "plugin-all"), results.PartTotal),
		results.HostRatio(h, "recommended", "plugin-all", results.PartTotal))
}

func hostSection(main, groups, linux *results.HostResult) hostSectionData {
	d := hostSectionData{Main: main, Groups: groups, Linux: linux, Guests: hostScaleGuests, IntervalS: hostScaleIntervalS,
		TookS: main.Took.Seconds()}
	for _, c := range hostCaseNames {
		d.Rows = append(d.Rows, hostRowOf(main, c.c, c.name))
		if linux != nil {
			d.LinuxRows = append(d.LinuxRows, hostRowOf(linux, c.c, c.name))
		}
	}
	rec, all := results.HostDist(results.HostRounds(main, "recommended"), results.PartTotal), results.HostDist(results.HostRounds(main, "plugin-all"), results.PartTotal)
	d.Savings = 1 - rec.Median/all.Median
	d.PluginOverTelegraf = results.HostDist(results.HostRounds(main, "plugin-shared"), results.PartTotal).Median /
		results.HostDist(results.HostRounds(main, "telegraf-shared"), results.PartTotal).Median
	med := func(c string, part func(results.HostRound) float64) float64 {
		return results.HostDist(results.HostRounds(main, c), part).Median
	}
	d.SavingsLibvirtd = 1 - med("recommended", results.PartLibvirtd)/med("plugin-all", results.PartLibvirtd)
	d.PluginOverTelegrafLibvirtd = med("plugin-shared", results.PartLibvirtd) / med("telegraf-shared", results.PartLibvirtd)
	if groups != nil {
		d.GroupsTookS = groups.Took.Seconds()
		for _, g := range append(results.SharedGroups[:len(results.SharedGroups):len(results.SharedGroups)], "vm") {
			p, t := results.HostRounds(groups, "plugin-"+g), results.HostRounds(groups, "telegraf-"+g)
			d.GroupRows = append(d.GroupRows, hostGroupRow{Group: g,
				PluginLibvirtd: results.HostDist(p, results.PartLibvirtd), PluginQEMU: results.HostDist(p, results.PartQEMU),
				TelegrafLibvirtd: results.HostDist(t, results.PartLibvirtd), TelegrafQEMU: results.HostDist(t, results.PartQEMU)})
		}
	}
	return d
}

func (r *report) hostSection(main, groups, linux *results.HostResult) {
	r.render("host", hostSection(main, groups, linux))
}

// hostPerf is the docs/performance.md part: nil without the scenario.
func hostPerf(main *results.HostResult) *hostSectionData {
	if main == nil {
		return nil
	}
	d := hostSection(main, nil, nil)
	return &d
}

// fmtPct is a fraction in percent.
func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}
