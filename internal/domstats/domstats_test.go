//go:build cgo && linux

package domstats_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

func TestGetAllDefault(t *testing.T) {
	conn := open(t, "test:///default")
	recs, err := domstats.NewConverter().GetAll(conn, 0, 0)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, "test", recs[0].Name)
	require.Equal(t, "6695eb01-f6a4-8304-79aa-97f2502e193f", recs[0].UUID)
	require.Equal(t, domstats.MakeParam("state.state", domstats.TypeInt, 1), recs[0].Params[0])
}

func TestGetAllNode(t *testing.T) {
	conn := open(t, nodeURI(t))
	recs, err := domstats.NewConverter().GetAll(conn, uint32(libvirt.DOMAIN_STATS_STATE), 0)
	require.NoError(t, err)
	require.Len(t, recs, 120)
	for _, r := range recs {
		require.Len(t, r.Params, 2, r.Name)
	}
}

func TestGetMatchingKeepsOnlyMatches(t *testing.T) {
	conn := open(t, nodeURI(t))
	var asked []string
	recs, err := domstats.NewConverter().GetMatching(conn, 0, 0, 0, func(name string) bool {
		asked = append(asked, name)
		return name == "node-0003" || name == "node-0007"
	})
	require.NoError(t, err)
	require.Len(t, asked, 120)
	require.Len(t, recs, 2)
	names := []string{recs[0].Name, recs[1].Name}
	require.ElementsMatch(t, []string{"node-0003", "node-0007"}, names)
}

func TestGetMatchingNoneKept(t *testing.T) {
	conn := open(t, nodeURI(t))
	recs, err := domstats.NewConverter().GetMatching(conn, 0, 0, 0, func(string) bool { return false })
	require.NoError(t, err)
	require.Empty(t, recs)
}

// A domain that vanishes between the list and the stats call is absent,
// not an error: the keep callback runs between the two calls.
func TestGetMatchingDomainVanishes(t *testing.T) {
	conn := open(t, nodeURI(t))
	recs, err := domstats.NewConverter().GetMatching(conn, 0, 0, 0, func(name string) bool {
		if name == "node-0004" {
			dom, err := conn.LookupDomainByName(name)
			require.NoError(t, err)
			require.NoError(t, dom.Destroy())
			require.NoError(t, dom.Undefine())
			require.NoError(t, dom.Free())
		}
		return name == "node-0004" || name == "node-0002"
	})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, "node-0002", recs[0].Name)
}

func TestGetAllClosedConnectionErrors(t *testing.T) {
	conn, err := libvirt.NewConnect("test:///default")
	require.NoError(t, err)
	_, err = conn.Close()
	require.NoError(t, err)
	_, err = domstats.NewConverter().GetAll(conn, 0, 0)
	require.Error(t, err)
}

// Floor makes the same call as GetAll and counts what it would convert.
func TestFloorCountsWhatGetAllConverts(t *testing.T) {
	conn := open(t, nodeURI(t))
	recs, err := domstats.NewConverter().GetAll(conn, 0, 0)
	require.NoError(t, err)
	params := 0
	for _, r := range recs {
		params += len(r.Params)
	}
	n, np, err := domstatstest.Floor(conn, 0, 0)
	require.NoError(t, err)
	require.Equal(t, len(recs), n)
	require.Equal(t, params, np)
}

func TestFloorClosedConnectionErrors(t *testing.T) {
	conn, err := libvirt.NewConnect("test:///default")
	require.NoError(t, err)
	_, err = conn.Close()
	require.NoError(t, err)
	_, _, err = domstatstest.Floor(conn, 0, 0)
	require.Error(t, err)
}

// Names and UUIDs come from one C pass over the records (raw UUIDs
// formatted in Go): they must equal what libvirt's own accessors return,
// for every domain of the node.
func TestNamesAndUUIDsEqualLibvirts(t *testing.T) {
	conn := open(t, nodeURI(t))
	doms, err := conn.ListAllDomains(0)
	require.NoError(t, err)
	want := map[string]string{}
	for _, d := range doms {
		name, err := d.GetName()
		require.NoError(t, err)
		uuid, err := d.GetUUIDString()
		require.NoError(t, err)
		want[uuid] = name
		require.NoError(t, d.Free())
	}
	recs, err := domstats.NewConverter().GetAll(conn, uint32(libvirt.DOMAIN_STATS_STATE), 0)
	require.NoError(t, err)
	got := map[string]string{}
	for _, r := range recs {
		got[r.UUID] = r.Name
	}
	require.Equal(t, want, got)
}

// The converter compares names, UUIDs and keys with those at the same
// position of its last call first: one converter used on two different
// hosts, in turn, must still return each host's own names, UUIDs and keys.
func TestConverterPositionCachesAcrossHosts(t *testing.T) {
	node := open(t, nodeURI(t))
	def := open(t, "test:///default")
	c := domstats.NewConverter()
	fresh := func(conn *libvirt.Connect, stats uint32) []domstats.Record {
		recs, err := domstats.NewConverter().GetAll(conn, stats, 0)
		require.NoError(t, err)
		return recs
	}
	all := uint32(0)
	state := uint32(libvirt.DOMAIN_STATS_STATE)
	wantNode, wantDef, wantNodeState := fresh(node, all), fresh(def, all), fresh(node, state)
	for range 3 {
		for _, step := range []struct {
			conn  *libvirt.Connect
			stats uint32
			want  []domstats.Record
		}{{node, all, wantNode}, {def, all, wantDef}, {node, state, wantNodeState}} {
			got, err := c.GetAll(step.conn, step.stats, 0)
			require.NoError(t, err)
			require.Equal(t, step.want, got)
		}
	}
}
