//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// hang is a query that blocks until release is closed, as a call to a host
// that accepts TCP and never answers does.
func hang(release <-chan struct{}) func(bool) ([]domstats.Record, error) {
	return func(bool) ([]domstats.Record, error) {
		<-release
		return nil, errors.New("released")
	}
}

func TestCallerForIsPerURI(t *testing.T) {
	a := callerFor("test:///registry-a")
	require.Same(t, a, callerFor("test:///registry-a"))
	require.NotSame(t, a, callerFor("test:///registry-b"))
}

// Stuck calls are bounded for the URI across instances: plugin instances
// made one after another (as a reload does) share one budget, while another
// URI keeps its own.
func TestCallerBudgetSharedAcrossInstances(t *testing.T) {
	const uri = "test:///registry-stuck"
	release := make(chan struct{})
	log := testutil.Logger{}
	// timeout is for the calls that hang: it only decides when a gather
	// gives up on them, and a loaded machine firing it late changes
	// nothing asserted. The calls that answer get answerTimeout, so that a
	// loaded 2-core machine cannot make them late: they return at once.
	const timeout = 40 * time.Millisecond
	const answerTimeout = 5 * time.Second

	// Instance 1: each gather leaves two stuck calls (the call and its
	// NOWAIT fallback; one if a loaded machine fires both timers at once):
	// a few gathers spend the budget of 4.
	for i := 0; callerFor(uri).inFlight() < maxCallsInFlight; i++ {
		require.Less(t, i, 2*maxCallsInFlight, "the budget is never spent")
		_, _, err := callerFor(uri).fetch(timeout, log, hang(release))
		require.ErrorIs(t, err, errTimeout)
	}
	require.Equal(t, maxCallsInFlight, callerFor(uri).inFlight())

	// Instances 2..20 (reloads): no new call starts, each gather fails at
	// once and says why.
	for i := 0; i < 19; i++ {
		c := callerFor(uri)
		started := time.Now()
		_, _, err := c.fetch(answerTimeout, log, func(bool) ([]domstats.Record, error) {
			t.Error("a call started beyond the URI's budget")
			return nil, nil
		})
		require.ErrorIs(t, err, errBusy)
		require.Contains(t, err.Error(), "4 earlier calls still stuck in libvirt")
		require.Less(t, time.Since(started), answerTimeout/2, "a gather with the budget spent must not wait for the timeout")
	}
	require.Equal(t, maxCallsInFlight, callerFor(uri).inFlight())
	require.EqualValues(t, maxCallsInFlight, callerFor(uri).stuck.Load())

	// Another URI is not held up by this one.
	recs, _, err := callerFor("test:///registry-other").fetch(answerTimeout, log, func(bool) ([]domstats.Record, error) {
		return []domstats.Record{{Name: "d"}}, nil
	})
	require.NoError(t, err)
	require.Len(t, recs, 1)

	// The host answers again: the stuck calls return, the budget is back.
	close(release)
	require.Eventually(t, func() bool { return callerFor(uri).inFlight() == 0 }, 5*time.Second, 5*time.Millisecond)
	require.Zero(t, callerFor(uri).stuck.Load())
	recs, _, err = callerFor(uri).fetch(answerTimeout, log, func(bool) ([]domstats.Record, error) {
		return []domstats.Record{{Name: "d"}}, nil
	})
	require.NoError(t, err)
	require.Len(t, recs, 1)
}

// Instances of one URI gathering at the same moment (Telegraf aligns
// their intervals) wait for a slot rather than fail while calls answer.
func TestCallerBudgetConcurrentHealthy(t *testing.T) {
	c := callerFor("test:///registry-healthy")
	errs := make(chan error, 3*maxCallsInFlight)
	for i := 0; i < cap(errs); i++ {
		go func() {
			_, _, err := c.fetch(time.Second, testutil.Logger{}, func(bool) ([]domstats.Record, error) {
				time.Sleep(5 * time.Millisecond)
				return nil, nil
			})
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		require.NoError(t, <-errs)
	}
	require.Zero(t, c.inFlight())
}

// The plugin uses the registry: two instances of one URI share a caller.
func TestInstancesShareCaller(t *testing.T) {
	a := &LibvirtStats{Options: Options{URI: "test:///default", Timeout: 1e9}, Log: testutil.Logger{}}
	b := &LibvirtStats{Options: Options{URI: "test:///default", Timeout: 1e9}, Log: testutil.Logger{}}
	require.NoError(t, a.Init())
	require.NoError(t, b.Init())
	require.Same(t, a.caller, b.caller)
}

func TestRemoteHint(t *testing.T) {
	for msg, want := range map[string]string{
		"authentication failed: Failed to verify peer's certificate":                "host name in it",
		"Unable to read TLS confirmation: Input/output error":                       "client certificate",
		"Cannot recv data: Host key verification failed.: Connection reset by peer": "known_hosts of the user",
		"libssh transport error: no suitable callback for host key verification":    "known_hosts= in the URI",
	} {
		require.Contains(t, remoteHint(msg), want, msg)
	}
	require.Empty(t, remoteHint("Connection refused"))
}

// A URI whose calls keep needing the NOWAIT fallback is warned about once,
// when that starts; each further fallback is at debug, and the first call
// that answers in time again ends the episode at info with the count.
func TestFallbackLogEpisodes(t *testing.T) {
	c := newCaller("test:///fallback-episodes", 8)
	release := make(chan struct{})
	defer close(release)
	primaryHangs := func(nowait bool) ([]domstats.Record, error) {
		if !nowait {
			<-release
		}
		return []domstats.Record{{Name: "d"}}, nil
	}
	answers := func(bool) ([]domstats.Record, error) { return []domstats.Record{{Name: "d"}}, nil }
	log := &testutil.CaptureLogger{}
	levels := func() string {
		var s []byte
		for _, m := range log.Messages() {
			s = append(s, m.Level)
		}
		return string(s)
	}

	// The answering calls must answer within half the timeout: they return
	// at once, so 1 s is a margin of hundreds of scheduler slices for a
	// loaded 2-core machine; the hanging ones cost the half each (4 s).
	const timeout = 2 * time.Second
	for range 3 {
		_, fellBack, err := c.fetch(timeout, log, primaryHangs)
		require.NoError(t, err)
		require.True(t, fellBack)
	}
	require.Equal(t, "WDD", levels())
	require.Contains(t, log.Warnings()[0], `Stats call to "test:///fallback-episodes" still running after 1s; asking again with NOWAIT`)

	for range 2 {
		_, fellBack, err := c.fetch(timeout, log, answers)
		require.NoError(t, err)
		require.False(t, fellBack)
	}
	require.Equal(t, "WDDI", levels())
	require.Contains(t, log.Messages()[3].Text, "answer within 1s again; 3 gather(s) asked again with NOWAIT")

	// A new episode warns again.
	_, _, err := c.fetch(timeout, log, primaryHangs)
	require.NoError(t, err)
	require.Equal(t, "WDDIW", levels())
}
