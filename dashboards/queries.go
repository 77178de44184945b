package dashboards

import (
	"fmt"
	"strings"
)

// Filters on the template variables. InfluxQL matches a regular expression
// because Grafana writes a multi-value or All selection as one
// ((a|b)); PromQL likewise.
const (
	influxHost   = `"host" =~ /^$host$/`
	influxDomain = `"domain" =~ /^$domain$/`
	promHost     = `host=~"$host"`
	promDomain   = `host=~"$host", domain=~"$domain"`
)

// influxSeries is an InfluxQL time series: sel from measurement over the
// dashboard's range, one point per $__interval that has data, one series
// per tag. fill(none) leaves out the intervals without a point, so a field
// gathered less often than $__interval (examples/recommended.conf gathers
// balloon once a minute) draws a line, not dots between nulls.
func influxSeries(sel, measurement, filter string, tags ...string) string {
	group := "time($__interval)"
	for _, t := range tags {
		group += `, "` + t + `"`
	}
	return fmt.Sprintf(`SELECT %s FROM "%s" WHERE $timeFilter AND %s GROUP BY %s fill(none)`, sel, measurement, filter, group)
}

// influxTop is the n largest values of inner's "value" column, named by
// host and domain: inner must group by both.
func influxTop(n int, inner string) string {
	return fmt.Sprintf(`SELECT top("value", "host", "domain", %d) AS "value" FROM (%s)`, n, inner)
}

// influxPerDomain is sel over the range, one row per host and domain.
func influxPerDomain(sel, measurement, filter string, extraTags ...string) string {
	group := `"host", "domain"`
	for _, t := range extraTags {
		group += `, "` + t + `"`
	}
	return fmt.Sprintf(`SELECT %s FROM "%s" WHERE $timeFilter AND %s GROUP BY %s`, sel, measurement, filter, group)
}

// prom is a metric with a label filter.
func prom(metric, filter string) string { return metric + "{" + filter + "}" }

// promAvg is a metric's mean over the dashboard's range, on the hosts
// selected.
func promAvg(metric string) string {
	return "avg_over_time(" + prom(metric, promHost) + "[$__range])"
}

// promSum adds the series of several metrics that share their labels.
func promSum(parts ...string) string { return strings.Join(parts, " + ") }

// promName is the name outputs.prometheus_client gives a field of a
// measurement: joined by "_", every character Prometheus does not allow
// in a name (the dots, "-") turned into "_".
func promName(measurement, field string) string {
	return measurement + "_" + strings.NewReplacer(".", "_", "-", "_").Replace(field)
}
