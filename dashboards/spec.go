// Package dashboards holds the Grafana dashboards of inputs.libvirt_stats
// as code: each dashboard is written once, with an InfluxQL and a PromQL
// query per target, and rendered for each datasource with Grafana's
// foundation SDK. `go generate` writes the JSON and a picture of each
// dashboard's panel grid; TestGeneratedFilesAreCurrent fails when the
// committed files differ from what the code makes.
package dashboards

// Flavor is the datasource a dashboard is rendered for.
type Flavor string

// The two datasources: InfluxDB 1.x (InfluxQL) and Prometheus (PromQL).
const (
	InfluxDB   Flavor = "influxdb"
	Prometheus Flavor = "prometheus"
)

// Flavors in the order the files are written.
var Flavors = []Flavor{InfluxDB, Prometheus}

// kind is a panel's visualization.
type kind int

const (
	timeSeries kind = iota
	statPanel
	barGauge // the top-N lists: one bar per series, instant values
	tablePanel
)

// target is one query of a panel, in both languages. alias is InfluxDB's
// ($tag_domain), legend Prometheus' ({{domain}}).
type target struct {
	influxql, alias string
	promql, legend  string
}

// panel is one panel of the grid; w and h in Grafana's grid units (24
// columns to a row).
type panel struct {
	kind        kind
	title, desc string
	unit        string
	w, h        uint32
	targets     []target
}

// row is a titled row of panels, laid out left to right.
type row struct {
	title  string
	panels []panel
}

// variable is a template variable: a query in each language for its
// values; multi with All for the fleet, one value for a domain.
type variable struct {
	name, label      string
	influxql, promql string
	multi            bool
}

// board is one dashboard, the same for both datasources but the queries.
type board struct {
	file        string // file name stem: fleet, domain
	uid, title  string
	description string
	vars        []variable
	rows        []row
}

// boards are the dashboards, in the order the files are written.
func boards() []board { return []board{fleet(), domain()} }
