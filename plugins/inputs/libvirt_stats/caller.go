//go:build cgo

package libvirt_stats

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// maxCallsInFlight caps the bulk calls that may be inside libvirt at once,
// stuck ones included; libvirtd serves 5 requests per client by default.
const maxCallsInFlight = 4

// call states
const (
	callRunning int32 = iota
	callDone
	callAbandoned
)

type result struct {
	recs []domstats.Record
	err  error
}

type call struct {
	done    chan result
	state   atomic.Int32
	started time.Time
}

// caller runs the bulk calls off the gather path so that a gather returns
// by its deadline even when a C call does not: a call cannot be canceled,
// so an overrunning one is left to finish on its own and counted as stuck.
type caller struct {
	slots chan struct{}
	stuck atomic.Int64
	log   telegraf.Logger
}

func newCaller(maxInFlight int, log telegraf.Logger) *caller {
	return &caller{slots: make(chan struct{}, maxInFlight), log: log}
}

// start runs fn in its own goroutine if a slot is free.
func (c *caller) start(fn func() ([]domstats.Record, error)) *call {
	select {
	case c.slots <- struct{}{}:
	default:
		return nil
	}
	cl := &call{done: make(chan result, 1), started: time.Now()}
	go func() {
		defer func() { <-c.slots }()
		recs, err := fn()
		if !cl.state.CompareAndSwap(callRunning, callDone) {
			c.stuck.Add(-1)
			c.log.Infof("A stats call returned after %s, too late for its gather", time.Since(cl.started).Round(time.Millisecond))
		}
		cl.done <- result{recs, err}
	}()
	return cl
}

// errTimeout: neither call answered by the deadline.
var errTimeout = errors.New("no answer within the timeout")

// fetch returns the first answer of query by the deadline. At half the
// timeout a second call with NOWAIT is started: it skips a domain whose job
// the first call holds, so the other domains still arrive complete.
// fellBack tells that the answer came from that second call.
func (c *caller) fetch(timeout time.Duration, query func(nowait bool) ([]domstats.Record, error)) (recs []domstats.Record, fellBack bool, err error) {
	primary := c.start(func() ([]domstats.Record, error) { return query(false) })
	if primary == nil {
		return nil, false, fmt.Errorf("%d earlier stats calls are still stuck in libvirt; not starting another", c.stuck.Load())
	}
	var fallback *call
	defer func() { c.abandon(primary, fallback) }()

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	half := time.NewTimer(timeout / 2)
	defer half.Stop()
	var fallbackDone <-chan result
	for {
		select {
		case r := <-primary.done:
			return r.recs, false, r.err
		case r := <-fallbackDone:
			return r.recs, true, r.err
		case <-half.C:
			if fallback = c.start(func() ([]domstats.Record, error) { return query(true) }); fallback != nil {
				fallbackDone = fallback.done
				c.log.Warnf("Stats call still running after %s; asking again with NOWAIT", timeout/2)
			}
		case <-deadline.C:
			return nil, false, fmt.Errorf("%w of %s", errTimeout, timeout)
		}
	}
}

// abandon counts the calls a finished gather leaves running.
func (c *caller) abandon(calls ...*call) {
	for _, cl := range calls {
		if cl != nil && cl.state.CompareAndSwap(callRunning, callAbandoned) {
			c.stuck.Add(1)
		}
	}
}
