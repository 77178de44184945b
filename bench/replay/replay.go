// Package replay is inputs.tlvbench_replay: a Telegraf input that adds the
// same pre-built metrics at every gather. make bench compiles it into a
// Telegraf build (scripts/telegraf-build.sh, TELEGRAF_CUSTOM_IMPORTS) to
// measure what Telegraf itself spends on a gather's metrics when an input
// is compiled in: the limit of "Telegraf with inputs.libvirt_stats".
package replay

import (
	"fmt"
	"os"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// Replay holds the metrics of one recorded gather (line protocol, parsed
// once at Init).
type Replay struct {
	File string `toml:"file"`

	metrics []telegraf.Metric
}

func (*Replay) SampleConfig() string {
	return "  ## line protocol of one recorded gather\n  file = \"gather.lp\"\n"
}

func (r *Replay) Init() error {
	if r.File == "" {
		return fmt.Errorf("file: a line protocol file is required")
	}
	b, err := os.ReadFile(r.File)
	if err != nil {
		return fmt.Errorf("file %q: %w", r.File, err)
	}
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		return err
	}
	if r.metrics, err = p.Parse(b); err != nil {
		return fmt.Errorf("file %q: %w", r.File, err)
	}
	if len(r.metrics) == 0 {
		return fmt.Errorf("file %q: no metrics", r.File)
	}
	return nil
}

// Gather hands Telegraf a copy of every metric, stamped now: Telegraf owns
// what an input adds (processors and outputs may change it), so a real
// input builds new metrics each time too; a copy is the cheapest way to.
func (r *Replay) Gather(acc telegraf.Accumulator) error {
	now := time.Now()
	for _, m := range r.metrics {
		c := m.Copy()
		c.SetTime(now)
		acc.AddMetric(c)
	}
	return nil
}

func init() {
	inputs.Add("tlvbench_replay", func() telegraf.Input { return &Replay{} })
}
