package main

import (
	"fmt"
	"math"
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
	Libvirtd, QEMU, Host, Client dist    // ms per gather, idle subtracted (client: its own CPU)
	PerDomain, ClientPerDomain   float64 // ms per gather and domain, medians
	ScaledPct                    float64 // % of a core: hostScaleGuests at hostScaleIntervalS, agent + libvirtd + QEMU
	QEMUs                        int
}

type hostGroupRow struct {
	Group                          string
	PluginLibvirtd, PluginQEMU     dist
	TelegrafLibvirtd, TelegrafQEMU dist
}

type hostSectionData struct {
	Main                                        *hostResult
	Groups                                      *hostResult
	Rows                                        []hostRow
	GroupRows                                   []hostGroupRow
	Guests, IntervalS                           int
	TookS, GroupsTookS                          float64
	Savings                                     float64 // 1 - recommended ÷ all groups, host CPU per unit of time
	PluginOverTelegraf                          float64
	SavingsLibvirtd, PluginOverTelegrafLibvirtd float64 // the same ratios, libvirtd alone (QEMU carries every guest's own load: the noise)
}

var hostCaseNames = []struct{ c, name string }{
	{"plugin-all", "**this plugin**, its defaults (every group, NOWAIT)"},
	{"plugin-shared", "**this plugin**, `inputs.libvirt`'s 10 groups"},
	{"telegraf-shared", "Telegraf `inputs.libvirt`, its 10 groups"},
	{"recommended", "**`examples/recommended.conf`** (6 groups every gather, 5 every 6th)"},
}

func hostRowOf(res *hostResult, c, name string) hostRow {
	rs := hostRounds(res, c)
	row := hostRow{Name: name, Libvirtd: hostDist(rs, partLibvirtd), QEMU: hostDist(rs, partQEMU),
		Host: hostDist(rs, partHost), Client: hostDist(rs, partClient)}
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
func (r *report) hostTargets(h *hostResult) {
	r.ratioTarget("host CPU (libvirtd + QEMU) per gather, this plugin ÷ inputs.libvirt, same 10 groups", "≤ 1.0", 1.0,
		hostDist(hostRounds(h, "plugin-shared"), partHost), hostDist(hostRounds(h, "telegraf-shared"), partHost),
		hostRatio(h, "plugin-shared", "telegraf-shared", partHost))
	r.ratioTarget("host CPU (libvirtd + QEMU) per unit of time, `examples/recommended.conf` ÷ every group every interval", "≤ 0.6", 0.6,
		hostDist(hostRounds(h, "recommended"), partHost), hostDist(hostRounds(h, "plugin-all"), partHost),
		hostRatio(h, "recommended", "plugin-all", partHost))
}

func hostSection(main, groups *hostResult) hostSectionData {
	d := hostSectionData{Main: main, Groups: groups, Guests: hostScaleGuests, IntervalS: hostScaleIntervalS,
		TookS: main.Took.Seconds()}
	for _, c := range hostCaseNames {
		d.Rows = append(d.Rows, hostRowOf(main, c.c, c.name))
	}
	rec, all := hostDist(hostRounds(main, "recommended"), partHost), hostDist(hostRounds(main, "plugin-all"), partHost)
	d.Savings = 1 - rec.Median/all.Median
	d.PluginOverTelegraf = hostDist(hostRounds(main, "plugin-shared"), partHost).Median /
		hostDist(hostRounds(main, "telegraf-shared"), partHost).Median
	med := func(c string, part func(hostRound) float64) float64 {
		return hostDist(hostRounds(main, c), part).Median
	}
	d.SavingsLibvirtd = 1 - med("recommended", partLibvirtd)/med("plugin-all", partLibvirtd)
	d.PluginOverTelegrafLibvirtd = med("plugin-shared", partLibvirtd) / med("telegraf-shared", partLibvirtd)
	if groups != nil {
		d.GroupsTookS = groups.Took.Seconds()
		for _, g := range append(sharedGroups[:len(sharedGroups):len(sharedGroups)], "vm") {
			p, t := hostRounds(groups, "plugin-"+g), hostRounds(groups, "telegraf-"+g)
			d.GroupRows = append(d.GroupRows, hostGroupRow{Group: g,
				PluginLibvirtd: hostDist(p, partLibvirtd), PluginQEMU: hostDist(p, partQEMU),
				TelegrafLibvirtd: hostDist(t, partLibvirtd), TelegrafQEMU: hostDist(t, partQEMU)})
		}
	}
	return d
}

func (r *report) hostSection(main, groups *hostResult) {
	r.render("host", hostSection(main, groups))
}

// hostPerf is the docs/performance.md part: nil without the scenario.
func hostPerf(main *hostResult) *hostSectionData {
	if main == nil {
		return nil
	}
	d := hostSection(main, nil)
	return &d
}

// fmtPct is a fraction in percent.
func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}
