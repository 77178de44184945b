package linuxguest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const dep = `kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/virtio/virtio_ring.ko.xz:
kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz:
kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz kernel/drivers/virtio/virtio_pci_modern_dev.ko.xz kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz
kernel/net/core/failover.ko.xz:
kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
`

// Each module comes after the ones it needs, once, and only the ones
// asked for and their dependencies come.
func TestLoadOrder(t *testing.T) {
	mods := parseModulesDep([]byte(dep))
	require.Equal(t, "kernel/drivers/char/hw_random/virtio-rng.ko.xz", mods["virtio_rng"].path)
	got, err := loadOrder(mods, []string{"virtio_pci", "virtio_net"})
	require.NoError(t, err)
	var names []string
	for _, p := range got {
		names = append(names, moduleName(p))
	}
	require.Equal(t, []string{"virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring", "virtio",
		"virtio_pci", "failover", "net_failover", "virtio_net"}, names)

	_, err = loadOrder(mods, []string{"virtio_blk"})
	require.ErrorContains(t, err, "no module virtio_blk in modules.dep")
	_, err = loadOrder(parseModulesDep([]byte("a.ko: b.ko\nb.ko: a.ko\n")), []string{"a"})
	require.ErrorContains(t, err, "cycle: a -> b -> a")
}

func TestCompareVersions(t *testing.T) {
	require.Negative(t, compareVersions("6.1.0-9-amd64", "6.1.0-10-amd64"))
	require.Positive(t, compareVersions("6.10.0-1-amd64", "6.1.0-57-amd64"))
	require.Zero(t, compareVersions("6.1.0-57-amd64", "6.1.0-57-amd64"))
}

// The initramfs of this machine's kernel: cpio (the system's, not ours)
// lists what /init needs, the modules are plain ELF files, and a second
// build with the same inputs keeps the files; a newer input rebuilds.
func TestBuild(t *testing.T) {
	if _, err := newestKernel("/boot", "/lib/modules"); err != nil {
		t.Skipf("needs linux-image-amd64: %v", err)
	}
	cache := t.TempDir()
	a, err := Build(cache, "")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(cache, "initrd.img"), a.Initrd)
	k, err := os.ReadFile(a.Kernel)
	require.NoError(t, err)
	orig, err := os.ReadFile("/boot/vmlinuz-" + a.KernelVersion)
	require.NoError(t, err)
	require.Equal(t, []byte("\x7fELF"), k[:4], "the ELF image inside /boot's bzImage (Debian's kernels have PVH)")

	list := filepath.Join(t.TempDir(), "x")
	require.NoError(t, os.MkdirAll(list, 0o755))
	cmd := exec.Command("sh", "-c", "zcat "+a.Initrd+" | cpio -idv --quiet 2>&1")
	cmd.Dir = list
	out, err := cmd.Output()
	require.NoError(t, err, string(out))
	for _, want := range []string{"init", "bin/busybox", "dev/console", "modules.order",
		"lib/modules/virtio_ring.ko", "lib/modules/virtio_pci.ko", "lib/modules/virtio_blk.ko",
		"lib/modules/virtio_net.ko", "lib/modules/virtio_balloon.ko"} {
		require.Contains(t, strings.Fields(string(out)), want)
	}
	ko, err := os.ReadFile(filepath.Join(list, "lib/modules/virtio_blk.ko"))
	require.NoError(t, err)
	require.Equal(t, []byte("\x7fELF"), ko[:4])
	order, err := os.ReadFile(filepath.Join(list, "modules.order"))
	require.NoError(t, err)
	mods := strings.Fields(string(order))
	require.Less(t, indexOf(mods, "virtio_ring.ko"), indexOf(mods, "virtio.ko"))
	require.Less(t, indexOf(mods, "virtio.ko"), indexOf(mods, "virtio_pci.ko"))
	init, err := os.ReadFile(filepath.Join(list, "init"))
	require.NoError(t, err)
	require.Equal(t, initScript, init)

	st, err := os.Stat(a.Initrd)
	require.NoError(t, err)
	again, err := Build(cache, "")
	require.NoError(t, err)
	require.Equal(t, a, again)
	st2, err := os.Stat(a.Initrd)
	require.NoError(t, err)
	require.Equal(t, st.ModTime(), st2.ModTime(), "same inputs: not rebuilt")

	// A changed input: a copy of /boot whose kernel is newer.
	boot := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(boot, "vmlinuz-"+a.KernelVersion), orig, 0o644))
	changed, err := build(cache, "", boot, "/lib/modules")
	require.NoError(t, err)
	require.NotEqual(t, a.Key, changed.Key)
	st3, err := os.Stat(a.Initrd)
	require.NoError(t, err)
	require.False(t, os.SameFile(st, st3), "rebuilt: a new file")
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
