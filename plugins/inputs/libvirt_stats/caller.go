//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// maxCallsInFlight caps the calls (opens included) that may be inside
// libvirt at once for one URI, stuck ones included, in the whole process;
// libvirtd serves 5 requests per client by default.
const maxCallsInFlight = 4

// maxCallsFor is a URI's cap. Over libssh it is one: with a second call in
// flight on a second connection (the NOWAIT call at half the timeout)
// libvirt's libssh client crashed the process (SIGSEGV in its client I/O
// loop, after GLib's "g_main_loop_quit: assertion 'loop != NULL' failed"):
// in 3 of 4 runs of BenchmarkTransport's libssh cases with a 2 s timeout,
// and never with one call at a time (0 of 4). A libssh gather that
// outlives its timeout fails; the next one fails at once while that call
// is still inside libvirt.
func maxCallsFor(uri string) int {
	if isLibssh(uri) {
		return 1
	}
	return maxCallsInFlight
}

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

// caller runs the calls to one URI off the gather path so that a gather
// returns by its deadline even when a C call does not: a call cannot be
// canceled, so an overrunning one is left to finish on its own and counted
// as stuck.
//
// There is one caller per URI in the process (callerFor), shared by every
// plugin instance that gathers from it, the instances a reload replaced
// included: a stuck call outlives the instance that started it, so a bound
// per instance would let every reload start as many new stuck calls (and
// threads and sockets) on a host that does not answer.
type caller struct {
	uri   string
	slots chan struct{}
	stuck atomic.Int64

	mu      sync.Mutex
	running map[*call]struct{} // calls in flight, stuck ones included
	// NOWAIT fallbacks as an episode of the URI: a warning when calls
	// first stop answering within half the timeout, debug for each gather
	// that falls back again, info with the count when a call answers in
	// time again.
	fallbacks episode
}

func newCaller(uri string, maxInFlight int) *caller {
	return &caller{uri: uri, slots: make(chan struct{}, maxInFlight), running: map[*call]struct{}{}}
}

// callers is the process-wide registry: one caller per URI. Entries stay for
// the life of the process: one small struct per URI ever configured. The
// key is the URI alone, not the credentials: a host that does not answer
// holds the calls of every user alike.
var callers = struct {
	mu sync.Mutex
	m  map[string]*caller
}{m: map[string]*caller{}}

// callerFor returns the process's caller for uri.
func callerFor(uri string) *caller {
	callers.mu.Lock()
	defer callers.mu.Unlock()
	c, ok := callers.m[uri]
	if !ok {
		c = newCaller(uri, maxCallsFor(uri))
		callers.m[uri] = c
	}
	return c
}

// start runs fn in its own goroutine once a slot is free, waiting for one
// until wait fires (nil: not at all); log is the starting instance's logger
// (the call may outlive that instance).
func (c *caller) start(fn func() ([]domstats.Record, error), log telegraf.Logger, wait <-chan time.Time) *call {
	select {
	case c.slots <- struct{}{}:
	default:
		if wait == nil {
			return nil
		}
		select {
		case c.slots <- struct{}{}:
		case <-wait:
			return nil
		}
	}
	cl := &call{done: make(chan result, 1), started: time.Now()}
	c.mu.Lock()
	c.running[cl] = struct{}{}
	c.mu.Unlock()
	go func() {
		recs, err := fn()
		c.mu.Lock()
		delete(c.running, cl)
		c.mu.Unlock()
		<-c.slots
		if !cl.state.CompareAndSwap(callRunning, callDone) {
			c.stuck.Add(-1)
			log.Infof("A stats call to %q returned after %s, too late for its gather", c.uri, time.Since(cl.started).Round(time.Millisecond))
		}
		cl.done <- result{recs, err}
	}()
	return cl
}

// errTimeout: neither call answered by the deadline.
var errTimeout = errors.New("no answer within the timeout")

// errBusy: the URI's budget of calls in flight is spent.
var errBusy = errors.New("calls still stuck in libvirt")

// fetch returns the first answer of query by the deadline. At half the
// timeout a second call with NOWAIT is started: it skips a domain whose job
// the first call holds, so the other domains still arrive complete.
// fellBack tells that the answer came from that second call.
func (c *caller) fetch(timeout time.Duration, log telegraf.Logger, query func(nowait bool) ([]domstats.Record, error)) (recs []domstats.Record, fellBack bool, err error) {
	// Every slot held by a call that its gather gave up on: the host does
	// not answer, fail at once. Slots held by calls that are merely busy
	// (instances of one URI gathering at the same moment) are waited for.
	if c.stuck.Load() >= int64(cap(c.slots)) {
		return nil, false, c.busy()
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	primary := c.start(func() ([]domstats.Record, error) { return query(false) }, log, deadline.C)
	if primary == nil {
		return nil, false, c.busy()
	}
	var fallback *call
	defer func() { c.abandon(primary, fallback) }()

	half := time.NewTimer(timeout / 2)
	defer half.Stop()
	var fallbackDone <-chan result
	for {
		select {
		case r := <-primary.done:
			if fallback == nil {
				c.logFallback(log, timeout, false)
			}
			return r.recs, false, r.err
		case r := <-fallbackDone:
			return r.recs, true, r.err
		case <-half.C:
			if fallback = c.start(func() ([]domstats.Record, error) { return query(true) }, log, nil); fallback != nil {
				fallbackDone = fallback.done
				c.logFallback(log, timeout, true)
			}
		case <-deadline.C:
			return nil, false, fmt.Errorf("%w of %s", errTimeout, timeout)
		}
	}
}

// logFallback steps the URI's fallback episode: fellBack tells whether
// this gather needed the NOWAIT call.
func (c *caller) logFallback(log telegraf.Logger, timeout time.Duration, fellBack bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.fallbacks.step(fellBack) {
	case episodeStarts:
		log.Warnf("Stats call to %q still running after %s; asking again with NOWAIT "+
			"(logged at debug until a call answers within %s again)", c.uri, timeout/2, timeout/2)
	case episodeGoesOn:
		log.Debugf("Stats call to %q still running after %s; asking again with NOWAIT", c.uri, timeout/2)
	case episodeEnds:
		log.Infof("Stats calls to %q answer within %s again; %d gather(s) asked again with NOWAIT",
			c.uri, timeout/2, c.fallbacks.gathers)
	}
}

// busy is the error of a gather that finds the budget spent: how many calls
// are in flight and since when, so that the user sees the host hangs rather
// than a plugin that does nothing.
func (c *caller) busy() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var oldest time.Time
	for cl := range c.running {
		if oldest.IsZero() || cl.started.Before(oldest) {
			oldest = cl.started
		}
	}
	age := time.Duration(0)
	if !oldest.IsZero() {
		age = time.Since(oldest).Round(time.Second)
	}
	return fmt.Errorf("%d earlier %w (this process, all instances for this URI; the oldest for %s); not starting another",
		len(c.running), errBusy, age)
}

// inFlight is the number of calls in libvirt, stuck ones included.
func (c *caller) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.running)
}

// abandon counts the calls a finished gather leaves running.
func (c *caller) abandon(calls ...*call) {
	for _, cl := range calls {
		if cl != nil && cl.state.CompareAndSwap(callRunning, callAbandoned) {
			c.stuck.Add(1)
		}
	}
}
