//go:build cgo && linux && qemu

package libvirt_stats

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/linuxguest"
)

// movingKeys are the counters the guests' workload moves: a round a
// second of a disk read, a disk write and a ping each way, and the
// balloon driver's report every second.
var movingKeys = []string{"balloon.last-update", "net.0.rx.bytes", "net.0.rx.pkts", "net.0.tx.bytes", "net.0.tx.pkts",
	"block.0.rd.bytes", "block.0.rd.reqs", "block.0.wr.bytes", "block.0.wr.reqs"}

// linuxGathers gathers the Linux guests on uri 3 s apart (more than the
// balloon's stats period and than a round of the guests' workload, 1 s
// each) until every movingKeys counter of each guest rose between two
// gathers, and returns those two. On a loaded host a round can take longer
// than 3 s: up to 10 tries.
func linuxGathers(t *testing.T, uri string, guests []linuxguest.Guest, derived bool) (first, second map[string]telegraf.Metric) {
	t.Helper()
	p := newPlugin(t, uri)
	p.NoWait = false // see qemuPlugin
	p.Derived = derived
	p.Domains = []string{"tlvl-*"}
	require.NoError(t, p.Init())
	defer p.Stop()
	gather := func() map[string]telegraf.Metric {
		got := byDomain(t, gatherClean(t, p))
		for _, g := range guests {
			require.Contains(t, got, g.Name)
		}
		return got
	}
	second = gather()
	for try := 1; ; try++ {
		time.Sleep(3 * time.Second)
		first, second = second, gather()
		var still []string
		for _, g := range guests {
			for _, k := range movingKeys {
				if num(t, second[g.Name], k) <= num(t, first[g.Name], k) {
					still = append(still, g.Name+" "+k)
				}
			}
		}
		if len(still) == 0 {
			return first, second
		}
		require.Less(t, try, 10, "after %d gathers 3 s apart, these did not rise between the last two: %v", try+1, still)
		t.Logf("try %d: %v did not rise in 3 s; again", try, still)
	}
}

// What only a guest OS reports: the balloon driver's statistics, traffic
// both ways through virtio-net, disk I/O through virtio-blk.
func TestQEMULinuxGuestStats(t *testing.T) {
	consoles := linuxguest.RequireInLab(t)
	first, second := linuxGathers(t, lab.HostURI(), linuxguest.Guests, false)
	for _, g := range linuxguest.Guests {
		checkLinuxGuestStats(t, g.Name, consoles[g.Name], first[g.Name], second[g.Name])
	}
}

// checkLinuxGuestStats holds a Linux guest's metric m (and prev, the
// gather before, for the log) to what its console says: the balloon's
// statistics against its MemTotal. linuxGathers saw the net and block
// counters and balloon.last-update rise.
func checkLinuxGuestStats(t *testing.T, name string, console linuxguest.Console, prev, m telegraf.Metric) {
	t.Helper()
	memTotal := float64(console.MemTotalKiB)
	require.Positive(t, memTotal, "%s: no MemTotal on the console", name)

	// The balloon's available is the guest's MemTotal (KiB); the guest
	// uses some of it, so unused and usable are less, and above 0.
	avail := num(t, m, "balloon.available")
	require.InEpsilon(t, memTotal, avail, 0.10, "%s: balloon.available vs MemTotal", name)
	for _, k := range []string{"balloon.unused", "balloon.usable"} {
		v := num(t, m, k)
		require.True(t, v > 0 && v < avail, "%s: %s = %v, available %v", name, k, v, avail)
	}
	for _, k := range []string{"balloon.disk_caches", "balloon.major_fault", "balloon.minor_fault"} {
		_, ok := m.GetField(k)
		require.True(t, ok, "%s: no %s", name, k)
	}
	// last-update is the host's clock (s) when the driver last reported.
	require.InDelta(t, float64(time.Now().Unix()), num(t, m, "balloon.last-update"), 30, "%s: balloon.last-update", name)
	t.Logf("%s: MemTotal %.0f KiB, balloon available %.0f usable %.0f unused %.0f KiB; in 3 s: rx %.0f B tx %.0f B, read %.0f B written %.0f B",
		name, memTotal, avail, num(t, m, "balloon.usable"), num(t, m, "balloon.unused"),
		num(t, m, "net.0.rx.bytes")-num(t, prev, "net.0.rx.bytes"), num(t, m, "net.0.tx.bytes")-num(t, prev, "net.0.tx.bytes"),
		num(t, m, "block.0.rd.bytes")-num(t, prev, "block.0.rd.bytes"), num(t, m, "block.0.wr.bytes")-num(t, prev, "block.0.wr.bytes"))
}

// With derived = true, the guest-side balloon gives balloon.used and
// used_percent, and the traffic and disk I/O give rates above 0.
func TestQEMULinuxGuestDerived(t *testing.T) {
	linuxguest.RequireInLab(t)
	_, second := linuxGathers(t, lab.HostURI(), linuxguest.Guests, true)
	for _, g := range linuxguest.Guests {
		checkLinuxGuestDerived(t, g.Name, second[g.Name])
	}
}

// checkLinuxGuestDerived holds a Linux guest's metric of a derived = true
// gather: balloon.used and used_percent, and rates above 0.
func checkLinuxGuestDerived(t *testing.T, name string, m telegraf.Metric) {
	t.Helper()
	used, pct := num(t, m, "balloon.used"), num(t, m, "balloon.used_percent")
	require.InDelta(t, num(t, m, "balloon.available")-num(t, m, "balloon.usable"), used, 0, name)
	require.True(t, pct > 0 && pct < 100, "%s: balloon.used_percent %v", name, pct)
	for _, k := range []string{"net.0.rx.bytes.rate", "net.0.rx.pkts.rate", "net.0.tx.bytes.rate", "net.0.tx.pkts.rate",
		"block.0.rd.bytes.rate", "block.0.rd.reqs.rate", "block.0.wr.bytes.rate", "block.0.wr.reqs.rate"} {
		require.Positive(t, num(t, m, k), "%s: %s", name, k)
	}
	t.Logf("%s: balloon.used %.0f KiB (%.1f %%), rx %.0f B/s, tx %.0f B/s, read %.0f B/s, written %.0f B/s",
		name, used, pct, num(t, m, "net.0.rx.bytes.rate"), num(t, m, "net.0.tx.bytes.rate"),
		num(t, m, "block.0.rd.bytes.rate"), num(t, m, "block.0.wr.bytes.rate"))
}
