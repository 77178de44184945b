package linuxguest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// NodeConfig puts a lab node's guests (NodeGuests) on it: the kernel and
// initramfs in <lab>/cache/linuxguest (kept by lab.sh down), the disks and
// console logs in lab.ImageDir(), beside the boot-sector guests' disks.
// Both are under the lab's directory, which every node sees at the same
// place (a root node's chroot has it bound there; a node's
// /var/lib/libvirt is its own).
func NodeConfig(node string) (Config, error) {
	guests, err := NodeGuests(node)
	if err != nil {
		return Config{}, err
	}
	return Config{
		CacheDir:  filepath.Join(lab.Dir(), "cache", "linuxguest"),
		ImagesDir: lab.ImageDir(),
		URI:       lab.URI(node, false),
		Guests:    guests,
		Timeout:   3 * time.Minute,
	}, nil
}

// RequireInLab brings the host node's guests up (at once when they run
// already) and waits for them; see RequireOnNode.
func RequireInLab(t testing.TB) map[string]Console { return RequireOnNode(t, lab.Host) }

// RequireOnNode brings a lab node's Linux guests up (at once when they run
// already), waits until each has had an answer from its peer, and returns
// what their consoles say. It fails the test otherwise, and for a node
// without Linux guests.
func RequireOnNode(t testing.TB, node string) map[string]Console {
	t.Helper()
	lab.Require(t, node)
	c, err := NodeConfig(node)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	c.Log = &log
	if err := Up(c); err != nil {
		t.Fatalf("Linux guests of node %s: %v\n%s", node, err, log.String())
	}
	consoles := map[string]Console{}
	for _, g := range c.Guests {
		deadline := time.Now().Add(time.Minute)
		for {
			con, err := g.ReadConsole(c.ImagesDir)
			if err == nil && con.PeerSeen {
				if len(con.Errors) > 0 {
					t.Fatalf("%s: /init: %q", g.Name, con.Errors)
				}
				consoles[g.Name] = con
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no answer from its peer %s in a minute (err %v); see %s", g.Name, g.Peer, err, g.ConsoleLog(c.ImagesDir))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return consoles
}
