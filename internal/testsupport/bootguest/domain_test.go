package bootguest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The template writes the XML the boot-sector guest and the bench guests
// were created from before they shared it (testdata: the Go constant and
// scripts/bench-guests.sh's here-document, filled in as they were).
func TestDomainXML(t *testing.T) {
	got, err := domain("tlvd-boot-4242", "/var/lib/libvirt/images/tlv/tlvd-boot-4242.raw").XML()
	require.NoError(t, err)
	requireFile(t, "testdata/boot-guest.xml", got)

	_, err = Domain{Name: "x'y", MemoryMiB: 16, VCPUs: 1, Disk: "/d", DiskFormat: "raw", OnReboot: "destroy"}.XML()
	require.ErrorContains(t, err, "XML escaping")
}

// guestxml with the arguments scripts/bench-guests.sh gives it.
func TestGuestXMLCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "guestxml")
	out, err := exec.Command("go", "build", "-o", bin, "./guestxml").CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(bin, "-name", "tlvb-07", "-uuid", "c0ffee00-7b00-4000-8000-000000000007",
		"-memory", "64", "-current-memory", "64", "-vcpus", "2", "-iothreads", "2",
		"-disk", "/var/lib/libvirt/images/tlvb/tlvb-07.qcow2", "-format", "qcow2", "-on-reboot", "restart",
		"-mac", "52:54:00:7b:00:07", "-balloon-period", "1").Output()
	require.NoError(t, err)
	requireFile(t, "testdata/bench-guest.xml", out)

	out, err = exec.Command(bin, "-name", "x", "-memory", "1", "-vcpus", "1", "-disk", "/d", "-format", "vmdk").CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), `-format "vmdk": valid are raw, qcow2`)
}

func requireFile(t *testing.T, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}
