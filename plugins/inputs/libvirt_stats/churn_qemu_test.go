//go:build cgo && linux && qemu

package libvirt_stats

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"
)

const churnNS = "urn:tlvc-churn"

// churnXML is one incarnation of a transient test-driver domain: its own
// UUID, and its number in its metadata, which the plugin reads as a tag.
func churnXML(name string, i int) string {
	return fmt.Sprintf(`<domain type='test'><name>%s</name><uuid>00000000-0000-4000-8000-%012d</uuid>
<memory unit='MiB'>64</memory><vcpu>2</vcpu><os><type>hvm</type></os>
<metadata><c:churn xmlns:c='%s' incarnation='inc-%d'/></metadata></domain>`, name, 100000+i, churnNS, i)
}

func churnUUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", 100000+i) }

// Domains created and destroyed all day: 300 transient domains on a
// test-driver node behind a libvirtd of the test's own, while the plugin
// gathers with layout = "device", metadata_tags and state_names.
// test:///default behind a daemon is one node shared by every connection
// while one stays open (a node file would give each connection a private
// copy): the test's own connection creates and destroys, and holds the
// node. Every other incarnation reuses the name of the one destroyed just
// before it, with a new UUID and new metadata. The churn goes one step
// (a destroy and a create) per gather, while the next gather runs, so each
// incarnation lives for several gathers however slowly a loaded machine
// runs them: nothing here counts on a gather taking a given time.
func TestChurn(t *testing.T) {
	const (
		incarnations = 300
		pause        = 25 * time.Millisecond // between gathers, to leave the CPU to others
		alive        = 8                     // domains of the churn alive at once
	)
	d := startPrivateDaemon(t)
	uri := d.uri("/default")
	ctl, err := libvirt.NewConnect(uri)
	require.NoError(t, err)
	defer ctl.Close()

	log := &testutil.CaptureLogger{}
	p := newPlugin(t, uri)
	p.Log = log
	p.Layout = layoutDevice
	p.StateNames = true
	// A gather of 9 test-driver domains takes milliseconds: 2 s bounds a
	// hang, far above what a loaded 2-core machine adds by scheduling.
	p.Timeout = config.Duration(2 * time.Second)
	p.MetadataTags = map[string]string{"incarnation": "/domain/metadata/c:churn/@incarnation"}
	p.MetadataNamespaces = map[string]string{"c": churnNS}
	require.NoError(t, p.Init())
	defer p.Stop()

	var created sync.Map // UUID -> incarnation tag
	// step is sent before a gather when the churn waits for it, and the
	// step runs during that gather (a domain may be destroyed mid-call).
	// The next step waits for the next gather that starts after this step
	// ended: that gather sees the step's domain.
	step := make(chan struct{})
	churnDone := make(chan error, 1)
	go func() {
		churnDone <- func() error {
			var live []*libvirt.Domain
			defer func() {
				for _, dom := range live {
					_ = dom.Destroy()
					_ = dom.Free()
				}
			}()
			for i := range incarnations {
				<-step
				if len(live) == alive {
					if err := live[0].Destroy(); err != nil {
						return err
					}
					_ = live[0].Free()
					live = live[1:]
				}
				// Even incarnations cycle through 4 names: with 8 alive,
				// the name is the one just destroyed.
				name := fmt.Sprintf("tlvc-churn-u%03d", i)
				if i%2 == 0 {
					name = fmt.Sprintf("tlvc-churn-%d", i/2%4)
				}
				created.Store(churnUUID(i), fmt.Sprintf("inc-%d", i))
				dom, err := ctl.DomainCreateXML(churnXML(name, i), 0)
				if err != nil {
					return fmt.Errorf("creating incarnation %d: %w", i, err)
				}
				live = append(live, dom)
			}
			// Two more gathers see the last incarnation before the
			// deferred destroys.
			<-step
			<-step
			return nil
		}()
	}()

	var (
		gathers, churnMetrics, untagged, seen int
		destroyedInCall                       int
		maxMeta, maxInvalid, maxComplete      int
		maxStrs, maxUUIDs, maxIDs             int
		rss0, rssMax                          int
		slowest                               time.Duration
	)
	seenUUID := map[string]bool{}
	start := time.Now()
	var churnErr error
	for done := false; !done; {
		select {
		case step <- struct{}{}: // the step runs while this gather does
		default: // the churn is still doing the last step
		}
		t0 := time.Now()
		var acc testutil.Accumulator
		require.NoError(t, p.Gather(&acc))
		took := time.Since(t0)
		slowest = max(slowest, took)
		gathers++
		require.Empty(t, acc.Errors, "gather %d", gathers)
		domains := 0
		for _, m := range acc.GetTelegrafMetrics() {
			uuid := m.Tags()["uuid"]
			require.NotContains(t, m.Fields(), "partial", "gather %d: %v", gathers, m)
			want, ok := created.Load(uuid)
			if !ok {
				continue // the node's own domain "test"
			}
			churnMetrics++
			if m.Name() == measurement {
				domains++
				if !seenUUID[uuid] {
					seenUUID[uuid] = true
					seen++
				}
				// A domain destroyed while the bulk call ran comes back
				// with its last state: shut off, reason destroyed.
				if state := m.Fields()[fieldStateName]; state != "running" {
					require.Equal(t, "shutoff destroyed", fmt.Sprint(state, " ", m.Fields()[fieldReasonName]), "%v", m)
					destroyedInCall++
				}
			}
			got, ok := m.GetTag("incarnation")
			if !ok {
				untagged++
				continue
			}
			require.Equal(t, want, got, "gather %d: wrong metadata tag on %v", gathers, m)
		}
		require.LessOrEqual(t, domains, alive, "more churn domains than alive at once")

		e, inv, s := p.meta.sizes()
		strs, uuids, ids := p.conv.CacheSizes()
		maxMeta, maxInvalid = max(maxMeta, e), max(maxInvalid, inv)
		maxComplete = max(maxComplete, len(p.complete.last))
		maxStrs, maxUUIDs, maxIDs = max(maxStrs, strs), max(maxUUIDs, uuids), max(maxIDs, ids)
		require.Zero(t, s, "the metadata cache's seen set is cleared at every gather")

		if gathers == 100 {
			rss0 = rssKiB(t)
		}
		if gathers > 100 {
			rssMax = max(rssMax, rssKiB(t))
		}
		select {
		case churnErr = <-churnDone:
			done = true
		case <-time.After(pause):
		}
	}
	require.NoError(t, churnErr)
	for _, w := range log.Warnings() {
		t.Errorf("warning: %s", w)
	}
	for _, e := range log.Errors() {
		t.Errorf("error: %s", e)
	}

	t.Logf("%d gathers in %s (slowest %s), %d of %d incarnations seen, %d churn metrics, %d without the metadata tag, %d caught shut off by a destroy during the call",
		gathers, time.Since(start).Round(time.Millisecond), slowest, seen, incarnations, churnMetrics, untagged, destroyedInCall)
	t.Logf("largest caches: metadata %d entries, %d invalidations; completeness %d; converter %d strings, %d UUIDs, %d positions",
		maxMeta, maxInvalid, maxComplete, maxStrs, maxUUIDs, maxIDs)
	t.Logf("RSS after gather 100: %d KiB, highest after: %d KiB", rss0, rssMax)

	require.GreaterOrEqual(t, gathers, incarnations+2, "a gather per step of the churn")
	require.Equal(t, incarnations, seen, "every incarnation lives for several gathers")
	// A domain appears tagged from its first gather unless it was destroyed
	// between the stats call and the XML read of that same gather.
	require.Less(t, untagged, churnMetrics/100+10)
	const domains = alive + 1 // the churn and the node's "test"
	require.LessOrEqual(t, maxMeta, domains)
	require.LessOrEqual(t, maxComplete, domains)
	// Invalidations of domains that came and went between two gathers are
	// dropped at the next one.
	require.LessOrEqual(t, maxInvalid, 2*alive)
	// The converter's bound (domstats.trim): 2×(records + keys) + 64, and
	// 2×records + 64 UUIDs; without it, every name and UUID ever seen.
	require.LessOrEqual(t, maxUUIDs, 2*domains+64)
	require.LessOrEqual(t, maxIDs, domains)
	require.Less(t, maxStrs, incarnations/2, "the converter keeps every name ever seen (150 distinct)")
	require.Less(t, rssMax-rss0, 8<<10, "RSS grew by %d KiB", rssMax-rss0)
}
