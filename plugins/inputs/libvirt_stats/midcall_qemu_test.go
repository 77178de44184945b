//go:build cgo && linux && qemu

package libvirt_stats

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/nodexml"
)

// libvirtd SIGKILLed while the bulk call over 1000
// test-driver domains is in flight. The gather reports the URI by its
// deadline; the first gather after the daemon is back has every domain.
func TestDaemonKilledMidCall(t *testing.T) {
	const domains = 1000
	node := nodexml.File(t, domains)

	d := startPrivateDaemon(t)
	uri := d.uri(node)
	p := newPlugin(t, uri)
	p.Timeout = config.Duration(5 * time.Second)
	require.NoError(t, p.Init())
	defer p.Stop()

	acc, _ := gatherAcc(t, p)
	require.Empty(t, acc.Errors)
	require.Len(t, acc.GetTelegrafMetrics(), domains)
	acc, call := gatherAcc(t, p) // the connection open
	require.Empty(t, acc.Errors)
	t.Logf("bulk call over %d domains through the daemon: %s", domains, call)

	caught := 0
	for attempt := 0; attempt < 20 && caught < 3; attempt++ {
		delay := call / 3
		done := make(chan struct{})
		var acc *testutil.Accumulator
		var took time.Duration
		go func() {
			defer close(done)
			acc, took = gatherAcc(t, p)
		}()
		time.Sleep(delay)
		d.kill(t)
		<-done
		if len(acc.Errors) == 0 {
			// The call answered before the kill: shorter next time.
			call = call * 2 / 3
			d.start(t)
			_, _ = gatherAcc(t, p)
			continue
		}
		caught++
		require.Less(t, took, time.Duration(p.Timeout), "the gather outlived its deadline")
		require.ErrorContains(t, acc.Errors[0], `"`+uri+`"`)
		t.Logf("libvirtd killed %s into the call: gather returned in %s with: %v", delay, took, acc.Errors[0])

		d.start(t)
		back, took := gatherAcc(t, p)
		require.Empty(t, back.Errors, "the first gather after libvirtd is back")
		require.Len(t, back.GetTelegrafMetrics(), domains)
		t.Logf("first gather after the restart: %s, %d domains", took, domains)
	}
	require.Positive(t, caught, "the kill never landed inside the call")
}

// Domains destroyed while the bulk call runs, with and
// without a name filter (the filter lists first, then asks for the stats
// of the listed domains). Never an error; each destroyed domain is either
// present with its stats or absent.
func TestDomainDestroyedMidCall(t *testing.T) {
	const (
		domains = 1000
		rounds  = 8
		perRnd  = 20
	)
	d := startPrivateDaemon(t)
	uri := d.uri("/default") // one node shared by this daemon's connections
	ctl, err := libvirt.NewConnect(uri)
	require.NoError(t, err)
	defer ctl.Close()
	var live []*libvirt.Domain
	defer func() {
		for _, dom := range live {
			_ = dom.Destroy()
			_ = dom.Free()
		}
	}()
	for i := range domains {
		dom, err := ctl.DomainCreateXML(fmt.Sprintf(`<domain type='test'><name>tlvc-mid-%04d</name>
<memory unit='MiB'>64</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>`, i), 0)
		require.NoError(t, err)
		live = append(live, dom)
	}

	for _, filtered := range []bool{false, true} {
		t.Run(fmt.Sprintf("filtered=%v", filtered), func(t *testing.T) {
			p := newPlugin(t, uri)
			if filtered {
				p.Domains = []string{"tlvc-mid-*"}
			}
			require.NoError(t, p.Init())
			defer p.Stop()
			acc, _ := gatherAcc(t, p)
			require.Empty(t, acc.Errors)
			_, call := gatherAcc(t, p)

			present, absent := 0, 0
			for round := range rounds {
				victims := live[:perRnd]
				live = live[perRnd:]
				names := map[string]bool{}
				for _, v := range victims {
					n, err := v.GetName()
					require.NoError(t, err)
					names[n] = true
				}
				before := len(live) + perRnd

				done := make(chan struct{})
				var acc *testutil.Accumulator
				go func() {
					defer close(done)
					acc, _ = gatherAcc(t, p)
				}()
				// Spread the destroys over the call.
				time.Sleep(call / 4)
				var wg sync.WaitGroup
				for i, v := range victims {
					wg.Add(1)
					go func() {
						defer wg.Done()
						time.Sleep(time.Duration(i) * call / 2 / perRnd)
						if err := v.Destroy(); err != nil {
							t.Errorf("destroying: %v", err) // not require: another goroutine
						}
						_ = v.Free()
					}()
				}
				wg.Wait()
				<-done

				require.Empty(t, acc.Errors, "round %d", round)
				ms := acc.GetTelegrafMetrics()
				got := 0
				for _, m := range ms {
					name := m.Tags()["domain"]
					if !strings.HasPrefix(name, "tlvc-mid-") {
						continue
					}
					got++
					if names[name] {
						present++
						require.Contains(t, m.Fields(), "state.state")
					}
				}
				absent += before - got
				require.GreaterOrEqual(t, got, before-perRnd, "round %d: domains missing besides the destroyed", round)
				require.LessOrEqual(t, got, before)
			}
			t.Logf("call %s; of %d domains destroyed during the call, %d came back with stats, %d were absent; no error",
				call, rounds*perRnd, present, absent)
		})
	}
}
