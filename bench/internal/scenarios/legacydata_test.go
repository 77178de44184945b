package scenarios

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The lab's three-device guest: its two disks and its NIC.
func TestDomainDevicesQEMU(t *testing.T) {
	b, err := os.ReadFile("../../../testdata/qemu/tlv-run3.xml")
	require.NoError(t, err)
	disks, nics, err := domainDevices(string(b))
	require.NoError(t, err)
	require.Equal(t, []string{"vda", "vdb"}, disks)
	require.Equal(t, []string{"tap-tlv-r3"}, nics)
}

// A cdrom and an interface libvirt has given no target yet are left out;
// XML that does not parse is an error.
func TestDomainDevicesSkips(t *testing.T) {
	doc := `<domain><devices>
  <disk device='cdrom'><target dev='sda'/></disk>
  <disk device='disk'><target dev='vda'/></disk>
  <interface type='network'><source network='default'/></interface>
  <interface type='ethernet'><target dev='tap0'/></interface>
</devices></domain>`
	disks, nics, err := domainDevices(doc)
	require.NoError(t, err)
	require.Equal(t, []string{"vda"}, disks)
	require.Equal(t, []string{"tap0"}, nics)
	_, _, err = domainDevices("<domain")
	require.Error(t, err)
}
