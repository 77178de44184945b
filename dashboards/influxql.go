package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// influxQuery is a raw InfluxQL target of Grafana's InfluxDB datasource:
// the SDK has no InfluxDB query type, so this is the part of the
// datasource's query model that a raw query uses.
type influxQuery struct {
	RefID        string                `json:"refId"`
	Datasource   *common.DataSourceRef `json:"datasource,omitempty"`
	Query        string                `json:"query"`
	RawQuery     bool                  `json:"rawQuery"`
	ResultFormat string                `json:"resultFormat"` // time_series or table
	Alias        string                `json:"alias,omitempty"`
}

func (influxQuery) ImplementsDataqueryVariant() {}

func (q influxQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(influxQuery)
	if !ok || (q.Datasource == nil) != (o.Datasource == nil) {
		return false
	}
	same := q.Datasource == nil || *q.Datasource == *o.Datasource
	q.Datasource, o.Datasource = nil, nil
	return same && q == o
}

func (influxQuery) DataqueryType() string { return "influxdb" }

func (influxQuery) Validate() error { return nil }

// influxQueryBuilder hands an influxQuery to the SDK's panel builders.
type influxQueryBuilder struct{ q influxQuery }

var _ cog.Builder[variants.Dataquery] = influxQueryBuilder{}

func (b influxQueryBuilder) Build() (variants.Dataquery, error) { return b.q, nil }
