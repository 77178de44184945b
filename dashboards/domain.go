package dashboards

import "strings"

// domain is one domain of one host: CPU, memory, each disk and interface.
func domain() board {
	return board{
		file:  "domain",
		uid:   "libvirt-stats-domain",
		title: "libvirt: domain",
		description: "One domain of inputs.libvirt_stats. Needs layout = \"device\" and " +
			"derived = true (docs/dashboards.md).",
		vars: []variable{hostVariable, {
			name: "domain", label: "Domain",
			influxql: `SHOW TAG VALUES FROM "libvirt_stats" WITH KEY = "domain" WHERE ` + influxHost,
			promql:   `label_values(libvirt_stats_state_state{` + promHost + `}, domain)`,
		}},
		rows: []row{
			{title: "CPU", panels: []panel{
				series("CPU utilization", "percent", "cpu.utilization: % of the domain's vCPUs.",
					field("libvirt_stats", "cpu.utilization", "", "cpu")),
				series("vCPU utilization", "percent", "utilization of each vCPU: % of one host CPU.",
					field("libvirt_stats_vcpu", "utilization", "vcpu", "vCPU")),
				series("vCPU steal", "percent", "steal of each vCPU: % of the time it was runnable but waited for a host CPU.",
					field("libvirt_stats_vcpu", "steal", "vcpu", "vCPU")),
			}},
			{title: "Memory", panels: []panel{
				{kind: timeSeries, title: "Balloon memory", unit: "kbytes", w: 12, h: 8,
					desc: "balloon.used (what the guest uses; needs its balloon driver), " +
						"balloon.current (what it has) and balloon.rss (what its QEMU holds on the host).",
					targets: []target{
						field("libvirt_stats", "balloon.used", "", "used"),
						field("libvirt_stats", "balloon.current", "", "current"),
						field("libvirt_stats", "balloon.rss", "", "rss"),
					}},
				{kind: timeSeries, title: "Memory used", unit: "percent", w: 12, h: 8,
					desc:    "balloon.used_percent: used of available.",
					targets: []target{field("libvirt_stats", "balloon.used_percent", "", "used")}},
			}},
			{title: "Disks", panels: []panel{
				series("Disk IOPS", "iops", "Requests per second of each disk.",
					perDevice("libvirt_stats_block", "device", "rd.reqs.rate", "wr.reqs.rate", "fl.reqs.rate")...),
				series("Disk throughput", "Bps", "Bytes per second of each disk.",
					perDevice("libvirt_stats_block", "device", "rd.bytes.rate", "wr.bytes.rate")...),
				series("Disk latency", "ns", "Time per request of each disk, in the intervals that had requests.",
					perDevice("libvirt_stats_block", "device", "rd.latency", "wr.latency", "fl.latency")...),
			}},
			{title: "Network", panels: []panel{
				series("Network throughput", "Bps", "Bytes per second of each interface.",
					perDevice("libvirt_stats_net", "interface", "rx.bytes.rate", "tx.bytes.rate")...),
				series("Network errors", "pps", "Packets with errors per second of each interface.",
					perDevice("libvirt_stats_net", "interface", "rx.errs.rate", "tx.errs.rate")...),
				series("Network drops", "pps", "Dropped packets per second of each interface.",
					perDevice("libvirt_stats_net", "interface", "rx.drop.rate", "tx.drop.rate")...),
			}},
		},
	}
}

// series is a time series panel, three to a row.
func series(title, unit, desc string, targets ...target) panel {
	return panel{kind: timeSeries, title: title, unit: unit, desc: desc, w: 8, h: 8, targets: targets}
}

// opLabels name a disk field's operation in legends; an interface's rx and
// tx stand for themselves.
var opLabels = map[string]string{"rd": "read", "wr": "write", "fl": "flush"}

// perDevice is field for each of names, one series per value of tag, each
// labeled by the operation its name begins with (rd.bytes.rate: read).
func perDevice(measurement, tag string, names ...string) []target {
	var out []target
	for _, name := range names {
		op, _, _ := strings.Cut(name, ".")
		label, ok := opLabels[op]
		if !ok {
			label = op
		}
		out = append(out, field(measurement, name, tag, label))
	}
	return out
}

// field is the mean of one field of the domain's measurement per
// interval; with tag (device, interface, vcpu), one series per value of it.
func field(measurement, name, tag, label string) target {
	t := target{
		influxql: influxSeries(`mean("`+name+`")`, measurement, influxHost+" AND "+influxDomain, tagsOf(tag)...),
		alias:    label,
		promql:   prom(promName(measurement, name), promDomain),
		legend:   label,
	}
	if tag != "" {
		t.alias = label + " $tag_" + tag
		t.legend = label + " {{" + tag + "}}"
	}
	return t
}

func tagsOf(tag string) []string {
	if tag == "" {
		return nil
	}
	return []string{tag}
}
