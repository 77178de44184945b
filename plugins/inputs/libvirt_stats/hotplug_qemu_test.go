//go:build cgo && linux && qemu

package libvirt_stats

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/virshtest"
)

const hotplugDomain = "tlvc-hotplug"

// hotplugGuest starts a transient QEMU guest of the test's own under the
// shared libvirtd (64 MiB, TCG, like testdata/qemu's) with a virtio-scsi
// controller and one SCSI disk. SCSI disks and a usb-net NIC are chosen
// because QEMU unplugs them at once: a virtio (PCI) device waits for the
// guest's ACPI eject, and these guests run no OS.
func hotplugGuest(t *testing.T) (dir string) {
	t.Helper()
	hvRequire(t)
	dir = t.TempDir()
	for _, img := range []string{"a.qcow2", "b.qcow2"} {
		out, err := exec.Command("qemu-img", "create", "-f", "qcow2", filepath.Join(dir, img), "64M").CombinedOutput()
		require.NoError(t, err, string(out))
	}
	xml := fmt.Sprintf(`<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
<controller type='scsi' model='virtio-scsi'/><controller type='usb' model='qemu-xhci'/>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/><target dev='sda' bus='scsi'/></disk>
<memballoon model='none'/></devices></domain>`, hotplugDomain, filepath.Join(dir, "a.qcow2"))
	_, _ = virshtest.Virsh("destroy", hotplugDomain) // left over by a killed run
	file := filepath.Join(dir, "dom.xml")
	require.NoError(t, os.WriteFile(file, []byte(xml), 0o600))
	_, err := virshtest.Virsh("create", file)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = virshtest.Virsh("destroy", hotplugDomain) })
	for name, xml := range map[string]string{
		"disk.xml": fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/><target dev='sdb' bus='scsi'/></disk>`,
			filepath.Join(dir, "b.qcow2")),
		"sda.xml": fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/><target dev='sda' bus='scsi'/></disk>`,
			filepath.Join(dir, "a.qcow2")),
		"nic.xml": `<interface type='ethernet'><mac address='52:54:00:7c:0f:01'/><target dev='tap-tlvc-hp' managed='yes'/><model type='usb-net'/></interface>`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(xml), 0o600))
	}
	return dir
}

// A disk and a NIC hot-plugged and unplugged between
// gathers under layout = "device". The device tags follow the device (the
// remaining disk moves from block.1 to block.0 and keeps its name and
// path), the domain is never marked partial, and a device that is gone has
// no metric.
func TestQEMUHotplug(t *testing.T) {
	dir := hotplugGuest(t)
	p := newPlugin(t, qemuURI)
	p.Layout = layoutDevice
	p.StateNames = true
	p.Domains = []string{hotplugDomain}
	p.Timeout = config.Duration(5 * time.Second)
	require.NoError(t, p.Init())
	defer p.Stop()

	// A guest just started may hold its job for a moment; NOWAIT then skips
	// its block stats. Its start is not what this test is about: wait it out.
	require.Eventually(t, func() bool {
		var acc testutil.Accumulator
		_ = p.Gather(&acc)
		for _, m := range acc.GetTelegrafMetrics() {
			if m.Name() == measurement+"_block" {
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the new guest's block stats never came")

	paths := map[string]string{"sda": filepath.Join(dir, "a.qcow2"), "sdb": filepath.Join(dir, "b.qcow2")}
	steps := []struct {
		do     []string // virsh arguments, before the gathers
		disks  []string
		nics   []string
		blocks int // block.count
	}{
		{nil, []string{"sda"}, nil, 1},
		{[]string{"attach-device", hotplugDomain, filepath.Join(dir, "disk.xml"), "--live"}, []string{"sda", "sdb"}, nil, 2},
		{[]string{"attach-device", hotplugDomain, filepath.Join(dir, "nic.xml"), "--live"}, []string{"sda", "sdb"}, []string{"tap-tlvc-hp"}, 2},
		{[]string{"detach-device", hotplugDomain, filepath.Join(dir, "sda.xml"), "--live"}, []string{"sdb"}, []string{"tap-tlvc-hp"}, 1},
		{[]string{"detach-device", hotplugDomain, filepath.Join(dir, "nic.xml"), "--live"}, []string{"sdb"}, nil, 1},
	}
	for i, step := range steps {
		if step.do != nil {
			_, err := virshtest.Virsh(step.do...)
			require.NoError(t, err)
		}
		// Twice: the second gather compares with the first (completeness).
		for g := range 2 {
			var disks, nics []string
			var dom map[string]any
			for _, m := range gatherClean(t, p) {
				switch m.Name() {
				case measurement:
					dom = m.Fields()
				case measurement + "_block":
					dev := m.Tags()["device"]
					disks = append(disks, dev)
					require.Equal(t, paths[dev], m.Tags()["path"], "step %d: %s's path", i, dev)
				case measurement + "_net":
					nics = append(nics, m.Tags()["interface"])
				}
			}
			slices.Sort(disks)
			require.NotNil(t, dom, "step %d", i)
			require.NotContains(t, dom, "partial", "step %d gather %d: a hot-plug is no missing group", i, g)
			require.Equal(t, uint64(step.blocks), dom["block.count"], "step %d", i)
			require.Equal(t, step.disks, disks, "step %d gather %d: block devices", i, g)
			require.Equal(t, step.nics, nics, "step %d gather %d: interfaces", i, g)
		}
		t.Logf("step %d %v: disks %v, interfaces %v, not partial", i, step.do, step.disks, step.nics)
	}
}
