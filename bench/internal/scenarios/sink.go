package scenarios

import (
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/agent"
	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// sink is Telegraf's own accumulator (agent.NewAccumulator, as inputs run
// inside Telegraf) feeding a buffered channel that tally drains.
type sink struct {
	ch        chan telegraf.Metric
	acc       telegraf.Accumulator
	errs      []error
	perDomain string // the measurement every domain has one metric of
}

type maker struct{ log telegraf.Logger }

func (maker) LogName() string                              { return "inputs.bench" }
func (maker) MakeMetric(m telegraf.Metric) telegraf.Metric { return m }
func (m maker) Log() telegraf.Logger                       { return m.log }

type errAcc struct {
	telegraf.Accumulator
	s *sink
}

func (a errAcc) AddError(err error) {
	if err != nil {
		a.s.errs = append(a.s.errs, err)
	}
}

func newSink(log telegraf.Logger, perDomain string) *sink {
	s := &sink{ch: make(chan telegraf.Metric, 1<<17), perDomain: perDomain}
	acc := agent.NewAccumulator(maker{log}, s.ch)
	acc.SetPrecision(time.Nanosecond)
	s.acc = errAcc{acc, s}
	return s
}

func (s *sink) drain() results.Tally {
	var t results.Tally
	for {
		select {
		case m := <-s.ch:
			t.Metrics++
			t.Fields += len(m.FieldList())
			if m.Name() == s.perDomain {
				t.Domains++
			}
		default:
			t.Params = t.Fields
			return t
		}
	}
}

// gather runs in's Gather into the sink; an error the input added to the
// accumulator fails the gather like one it returned.
func (s *sink) gather(in telegraf.Input) error {
	if err := in.Gather(s.acc); err != nil {
		return err
	}
	return s.err()
}

func (s *sink) err() error {
	if len(s.errs) == 0 {
		return nil
	}
	err := s.errs[0]
	s.errs = nil
	return err
}
