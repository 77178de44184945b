package linuxguest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// LabConfig puts the guests in the lab's host node: the kernel and
// initramfs in <lab>/cache/linuxguest (kept by lab.sh down), the disks and
// console logs in lab.ImageDir(), beside the boot-sector guests' disks.
// Both are under the lab's directory, which the node sees at the same
// place (its /var/lib/libvirt is another).
func LabConfig() Config {
	return Config{
		CacheDir:  filepath.Join(lab.Dir(), "cache", "linuxguest"),
		ImagesDir: lab.ImageDir(),
		URI:       lab.HostURI(),
		Timeout:   3 * time.Minute,
	}
}

// RequireInLab brings the guests up in the lab's host node (at once when
// they run already), waits until each has had an answer from its peer,
// and returns what their consoles say. It fails the test otherwise.
func RequireInLab(t testing.TB) map[string]Console {
	t.Helper()
	lab.Require(t, lab.Host)
	c := LabConfig()
	var log strings.Builder
	c.Log = &log
	if err := Up(c); err != nil {
		t.Fatalf("Linux guests: %v\n%s", err, log.String())
	}
	consoles := map[string]Console{}
	for _, g := range Guests {
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
