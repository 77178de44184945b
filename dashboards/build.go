package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// datasourceVar is the template variable that picks the datasource: the
// dashboards name no datasource of their own, so they import anywhere.
const datasourceVar = "datasource"

func datasourceRef(f Flavor) common.DataSourceRef {
	typ, uid := string(f), "${"+datasourceVar+"}"
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// render builds the Grafana dashboard of b for f. The SDK marks the
// classic dashboard JSON deprecated in favor of the v2 schema, which only
// Grafana 12's new API reads; the classic JSON is what file provisioning
// and import take in every Grafana in use.
func render(b board, f Flavor) (dashboard.Dashboard, error) { //nolint:staticcheck // classic JSON on purpose, see above
	names := map[Flavor]string{InfluxDB: "InfluxDB", Prometheus: "Prometheus"}
	//nolint:staticcheck // classic JSON on purpose, see render
	d := dashboard.NewDashboardBuilder(b.title+" ("+names[f]+")").
		Uid(b.uid+"-"+string(f)).
		Description(b.description).
		Tags([]string{"libvirt", "telegraf", "libvirt_stats"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time("now-1h", "now").
		Refresh("30s").
		WithVariable(dashboard.NewDatasourceVariableBuilder(datasourceVar).
			Label("Datasource").
			Type(string(f)))
	for _, v := range b.vars {
		d.WithVariable(renderVariable(v, f))
	}
	id := uint32(0) // panel ids, unique in the dashboard, in grid order
	for _, r := range b.rows {
		id++
		d.WithRow(dashboard.NewRowBuilder(r.title).Id(id))
		for _, p := range r.panels {
			id++
			d.WithPanel(renderPanel(p, f, id))
		}
	}
	return d.Build()
}

func renderVariable(v variable, f Flavor) *dashboard.QueryVariableBuilder {
	q := v.influxql
	if f == Prometheus {
		q = v.promql
	}
	b := dashboard.NewQueryVariableBuilder(v.name).
		Label(v.label).
		Datasource(datasourceRef(f)).
		Query(dashboard.StringOrMap{String: &q}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
	if v.multi {
		b.Multi(true).IncludeAll(true)
	}
	return b
}

// renderTargets gives each target a refId (A, B, ...). Bar gauges and
// tables show one value per series: Prometheus answers them with an
// instant query, InfluxDB as a table.
func renderTargets(p panel, f Flavor) []cog.Builder[variants.Dataquery] {
	single := p.kind == barGauge || p.kind == tablePanel
	var out []cog.Builder[variants.Dataquery]
	for i, t := range p.targets {
		ref := string(rune('A' + i))
		if f == InfluxDB {
			q := influxQuery{RefID: ref, Query: t.influxql, RawQuery: true, ResultFormat: "time_series", Alias: t.alias}
			ds := datasourceRef(f)
			q.Datasource = &ds
			if single {
				q.ResultFormat = "table"
			}
			out = append(out, influxQueryBuilder{q})
			continue
		}
		q := prometheus.NewDataqueryBuilder().RefId(ref).Expr(t.promql).LegendFormat(t.legend).Datasource(datasourceRef(f))
		if single {
			q.Instant().Format(prometheus.PromQueryFormatTable)
		} else {
			q.Range()
		}
		out = append(out, q)
	}
	return out
}

func renderPanel(p panel, f Flavor, id uint32) cog.Builder[dashboard.Panel] {
	ds, targets := datasourceRef(f), renderTargets(p, f)
	lastValue := common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})
	switch p.kind {
	case statPanel:
		return stat.NewPanelBuilder().Id(id).Title(p.title).Description(p.desc).Unit(p.unit).
			Span(p.w).Height(p.h).Datasource(ds).Targets(targets).
			GraphMode(common.BigValueGraphModeNone).ReduceOptions(lastValue)
	case barGauge:
		return bargauge.NewPanelBuilder().Id(id).Title(p.title).Description(p.desc).Unit(p.unit).
			Span(p.w).Height(p.h).Datasource(ds).Targets(targets).
			Orientation(common.VizOrientationHorizontal).
			DisplayMode(common.BarGaugeDisplayModeGradient).
			ReduceOptions(lastValue.Values(true))
	case tablePanel:
		return table.NewPanelBuilder().Id(id).Title(p.title).Description(p.desc).Unit(p.unit).
			Span(p.w).Height(p.h).Datasource(ds).Targets(targets)
	default:
		return timeseries.NewPanelBuilder().Id(id).Title(p.title).Description(p.desc).Unit(p.unit).
			Span(p.w).Height(p.h).Datasource(ds).Targets(targets).
			FillOpacity(10).
			Legend(common.NewVizLegendOptionsBuilder().
				DisplayMode(common.LegendDisplayModeList).
				Placement(common.LegendPlacementBottom).
				ShowLegend(true))
	}
}

// Generate returns every generated file by its path relative to the
// dashboards module: json/<board>-<flavor>.json, svg/<board>.svg (the grid
// of the
// board drawn from its InfluxDB JSON; the Prometheus one has the same grid,
// which Generate checks) and ../docs/migrate.md (the migration table).
func Generate() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, b := range boards() {
		var raws [][]byte
		for _, f := range Flavors {
			d, err := render(b, f)
			if err != nil {
				return nil, fmt.Errorf("dashboard %s (%s): %w", b.file, f, err)
			}
			raw, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				return nil, err
			}
			raw = append(raw, '\n')
			files["json/"+b.file+"-"+string(f)+".json"] = raw
			raws = append(raws, raw)
		}
		for _, raw := range raws[1:] {
			same, err := sameGrid(raws[0], raw)
			if err != nil {
				return nil, fmt.Errorf("dashboard %s: %w", b.file, err)
			}
			if !same {
				return nil, fmt.Errorf("dashboard %s: the grids of its datasources differ", b.file)
			}
		}
		svg, err := GridSVG(raws[0], b.title+": the same panels for InfluxDB and Prometheus")
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", b.file, err)
		}
		files["svg/"+b.file+".svg"] = svg
	}
	files["../docs/migrate.md"] = migrateDoc()
	return files, nil
}
