package linuxguest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The domain XML of tlvl-linux1 with the lab's paths (testdata: reviewed
// by hand, then written by this test's first run).
func TestDomainXML(t *testing.T) {
	a := Artifacts{Kernel: "/var/tmp/telegraf-libvirt-lab/cache/linuxguest/vmlinuz",
		Initrd: "/var/tmp/telegraf-libvirt-lab/cache/linuxguest/initrd.img", Key: "0123abcd"}
	got, desc, err := Guests[0].DomainXML(a, "/var/tmp/telegraf-libvirt-lab/images")
	require.NoError(t, err)
	require.Contains(t, string(got), "<description>"+desc+"</description>")
	a.Key = "0123abce"
	_, desc2, err := Guests[0].DomainXML(a, "/var/tmp/telegraf-libvirt-lab/images")
	require.NoError(t, err)
	require.NotEqual(t, desc, desc2, "new artifacts, new description")
	want, err := os.ReadFile("testdata/tlvl-linux1.xml")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestParseConsole(t *testing.T) {
	c := ParseConsole([]byte("[    0.000000] Linux version 6.1.0\r\n" +
		"tlv-error insmod virtio_blk.ko failed\r\n" +
		"tlv-ready name=tlvl-linux1 ip=169.254.77.1 peer=169.254.77.2 memtotal_kib=112188 uptime=2.31\r\n"))
	require.Equal(t, Console{Ready: true, ReadyUptime: 2.31, MemTotalKiB: 112188,
		Errors: []string{"insmod virtio_blk.ko failed"}}, c)
	require.True(t, ParseConsole([]byte("tlv-peer name=x peer=y uptime=3\n")).PeerSeen)
	require.False(t, ParseConsole([]byte("not tlv-ready\n")).Ready)
	require.False(t, ParseConsole([]byte("tlv-peer\ntlv-ready name=tlvl-linux2 ip=169.")).Ready, "a line being written")
}

// Every node's guests differ in name, UUID, MAC, disk and address, none
// of them the bridge's; the host node's are Guests; a root node's one
// pings the bridge with one vCPU.
func TestNodeGuests(t *testing.T) {
	host, err := NodeGuests("host")
	require.NoError(t, err)
	require.Equal(t, Guests, host)
	seen := map[string]string{BridgeIP: "the bridge"}
	all := append([]Guest{}, host...)
	for _, node := range []string{"v7.0", "v11.3", "v12.8"} {
		gs, err := NodeGuests(node)
		require.NoError(t, err)
		require.Len(t, gs, 1)
		require.Equal(t, BridgeIP, gs[0].Peer, node)
		d := gs[0].Domain(Artifacts{}, "/images")
		require.Equal(t, 1, d.VCPUs, node)
		all = append(all, gs...)
	}
	require.Equal(t, "tlvl-v7-0", all[2].Name)
	for _, g := range all {
		for _, v := range []string{g.Name, g.UUID, g.MAC, g.IP, g.Disk("/images")} {
			require.NotContains(t, seen, v, "%s: %s also used by %s", g.Name, v, seen[v])
			seen[v] = g.Name
		}
	}
	_, err = NodeGuests("v8.0")
	require.ErrorContains(t, err, `unknown node "v8.0" (valid: host, v11.3, v12.8, v7.0)`)
}
