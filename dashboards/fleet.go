package dashboards

import (
	"fmt"
	"strings"
)

// topN is how many domains the fleet's top lists show.
const topN = 10

var hostVariable = variable{
	name: "host", label: "Host",
	influxql: `SHOW TAG VALUES FROM "libvirt_stats" WITH KEY = "host"`,
	promql:   `label_values(libvirt_stats_state_state, host)`,
}

// fleet is the overview of every host: how many domains in which state,
// the busiest domains, the partial ones and the collector's own health.
func fleet() board {
	hosts := hostVariable
	hosts.multi = true
	return board{
		file:  "fleet",
		uid:   "libvirt-stats-fleet",
		title: "libvirt: fleet",
		description: "Hosts and domains of inputs.libvirt_stats. Needs layout = \"device\", " +
			"derived = true and collector_metrics = true (docs/dashboards.md).",
		vars: []variable{hosts},
		rows: []row{fleetHosts(), fleetTop(), fleetCollector()},
	}
}

// fleetHosts counts hosts and domains, and domains by state.
func fleetHosts() row {
	return row{title: "Hosts and domains", panels: []panel{
		{kind: statPanel, title: "Hosts", w: 4, h: 6,
			desc: "Hosts that reported domains in the time range.",
			targets: []target{{
				influxql: `SELECT count("n") FROM (` + influxPerHost(`last("state.state") AS "n"`) + `)`,
				promql:   `count(count by (host) (` + prom("libvirt_stats_state_state", promHost) + `))`,
			}}},
		{kind: statPanel, title: "Domains", w: 4, h: 6,
			desc: "Domains reported in the time range, in any state.",
			targets: []target{{
				influxql: `SELECT count("n") FROM (` + influxPerDomain(`last("state.state") AS "n"`, "libvirt_stats", influxHost) + `)`,
				promql:   `count(` + prom("libvirt_stats_state_state", promHost) + `)`,
			}}},
		{kind: timeSeries, title: "Domains by state", w: 16, h: 6,
			desc: "Domains per host in each libvirt state (state.state: 1 running, 3 paused, 5 shut off).",
			targets: []target{
				byState("running", "= 1", "== 1"),
				byState("paused", "= 3", "== 3"),
				byState("shut off", "= 5", "== 5"),
				byState("other", `<> 1 AND "state" <> 3 AND "state" <> 5`, "!= 1 != 3 != 5"),
			}},
	}}
}

// fleetTop is the busiest domains over the time range, and the partial ones.
func fleetTop() row {
	return row{title: fmt.Sprintf("Top %d domains over the time range", topN), panels: []panel{
		topPanel("CPU", "percent", "cpu.utilization: % of the domain's vCPUs.",
			influxPerDomain(`mean("cpu.utilization") AS "value"`, "libvirt_stats", influxHost),
			promAvg("libvirt_stats_cpu_utilization")),
		topPanel("Memory used", "percent", "balloon.used_percent: what the guest uses of what it has; needs the guest's balloon driver.",
			influxPerDomain(`mean("balloon.used_percent") AS "value"`, "libvirt_stats", influxHost),
			promAvg("libvirt_stats_balloon_used_percent")),
		topDevices("Disk IOPS", "iops", "Reads and writes per second, every disk of the domain.",
			"libvirt_stats_block", "device", "rd.reqs.rate", "wr.reqs.rate"),
		topDevices("Disk throughput", "Bps", "Bytes read and written per second, every disk of the domain.",
			"libvirt_stats_block", "device", "rd.bytes.rate", "wr.bytes.rate"),
		topDevices("Network throughput", "Bps", "Bytes received and sent per second, every interface of the domain.",
			"libvirt_stats_net", "interface", "rx.bytes.rate", "tx.bytes.rate"),
		{kind: tablePanel, title: "Domains reported partial", w: 8, h: 8,
			desc: "Gathers in the time range in which the domain's stats came back incomplete " +
				"(a frozen QEMU, a busy job under nowait): partial = true.",
			targets: []target{{
				influxql: influxPerDomain(`count("partial") AS "gathers"`, "libvirt_stats", influxHost+` AND "partial" = true`),
				promql:   `sum by (host, domain) (count_over_time(` + prom("libvirt_stats_partial", promHost) + `[$__range]))`,
				legend:   "{{host}} {{domain}}",
			}}},
	}}
}

// fleetCollector is the collector's own health, from libvirt_stats_collector.
func fleetCollector() row {
	return row{title: "Collector health (libvirt_stats_collector)", panels: []panel{
		collectorPanel("Gather time", "ms", "How long each gather took.",
			collectorTarget(`mean("gather_time_ns") / 1000000`, `libvirt_stats_collector_gather_time_ns{`+promHost+`} / 1e6`, "")),
		collectorPanel("Errors and timeouts", "cpm", "Failed gathers and gathers that hit timeout, per minute.",
			collectorTarget(`non_negative_derivative(max("errors"), 1m)`, `rate(libvirt_stats_collector_errors{`+promHost+`}[$__rate_interval]) * 60`, "errors"),
			collectorTarget(`non_negative_derivative(max("timeouts"), 1m)`, `rate(libvirt_stats_collector_timeouts{`+promHost+`}[$__rate_interval]) * 60`, "timeouts")),
		collectorPanel("Stuck calls", "short", "Stats calls still running after their gather returned (per URI).",
			collectorTarget(`max("stuck_calls")`, `libvirt_stats_collector_stuck_calls{`+promHost+`}`, "")),
		collectorPanel("Domains per gather", "short", "Domains and partial domains in each gather.",
			collectorTarget(`mean("domains")`, `libvirt_stats_collector_domains{`+promHost+`}`, "domains"),
			collectorTarget(`mean("partial_domains")`, `libvirt_stats_collector_partial_domains{`+promHost+`}`, "partial")),
	}}
}

// influxPerHost is sel over the range, one row per host.
func influxPerHost(sel string) string {
	return `SELECT ` + sel + ` FROM "libvirt_stats" WHERE $timeFilter AND ` + influxHost + ` GROUP BY "host"`
}

// byState counts each host's domains whose state.state matches: cond
// follows the field in InfluxQL, the metric in PromQL.
func byState(name, influxCond, promCond string) target {
	inner := influxSeries(`last("state.state") AS "state"`, "libvirt_stats", influxHost, "host", "domain")
	return target{
		influxql: `SELECT count("state") FROM (` + inner + `) WHERE $timeFilter AND "state" ` + influxCond + ` GROUP BY time($__interval), "host"`,
		alias:    "$tag_host " + name,
		promql:   `count by (host) (` + prom("libvirt_stats_state_state", promHost) + " " + promCond + `)`,
		legend:   "{{host}} " + name,
	}
}

// topPanel lists the domains with the largest value over the range.
func topPanel(title, unit, desc, influxInner, promExpr string) panel {
	return panel{kind: barGauge, title: title, unit: unit, desc: desc, w: 8, h: 8,
		targets: []target{{
			influxql: influxTop(topN, influxInner),
			promql:   fmt.Sprintf("topk(%d, %s)", topN, promExpr),
			legend:   "{{host}} {{domain}}",
		}}}
}

// topDevices is topPanel for the sum of two rates over a domain's devices
// (disks or interfaces).
func topDevices(title, unit, desc, measurement, deviceTag, rate1, rate2 string) panel {
	perDevice := influxPerDomain(fmt.Sprintf(`mean("%s") + mean("%s") AS "value"`, rate1, rate2), measurement, influxHost, deviceTag)
	influxInner := `SELECT sum("value") AS "value" FROM (` + perDevice + `) GROUP BY "host", "domain"`
	promExpr := "sum by (host, domain) (" + promSum(promAvg(promName(measurement, rate1)), promAvg(promName(measurement, rate2))) + ")"
	return topPanel(title, unit, desc, influxInner, promExpr)
}

func collectorPanel(title, unit, desc string, targets ...target) panel {
	return panel{kind: timeSeries, title: title, unit: unit, desc: desc, w: 6, h: 7, targets: targets}
}

// collectorTarget is one field of libvirt_stats_collector per host and URI.
func collectorTarget(influxSel, promql, name string) target {
	return target{
		influxql: influxSeries(influxSel, "libvirt_stats_collector", influxHost, "host", "libvirt_uri"),
		alias:    strings.TrimSpace("$tag_host $tag_libvirt_uri " + name),
		promql:   promql,
		legend:   strings.TrimSpace("{{host}} {{libvirt_uri}} " + name),
	}
}
