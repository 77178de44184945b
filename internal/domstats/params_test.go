//go:build cgo && linux

package domstats_test

import (
	"math"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

func TestConvertEveryType(t *testing.T) {
	in := []domstatstest.Synthetic{
		{Key: "int.neg", Type: domstats.TypeInt, Value: int64(math.MinInt32)},
		{Key: "int.pos", Type: domstats.TypeInt, Value: int64(math.MaxInt32)},
		{Key: "uint.max", Type: domstats.TypeUint, Value: uint64(math.MaxUint32)},
		{Key: "llong.min", Type: domstats.TypeLLong, Value: int64(math.MinInt64)},
		{Key: "llong.max", Type: domstats.TypeLLong, Value: int64(math.MaxInt64)},
		{Key: "ullong.max", Type: domstats.TypeULLong, Value: uint64(math.MaxUint64)},
		{Key: "double.frac", Type: domstats.TypeDouble, Value: 0.25},
		{Key: "double.neg", Type: domstats.TypeDouble, Value: -1.5e300},
		{Key: "bool.true", Type: domstats.TypeBoolean, Value: int64(1)},
		{Key: "bool.false", Type: domstats.TypeBoolean, Value: int64(0)},
		{Key: "string.path", Type: domstats.TypeString, Value: "/var/lib/libvirt/images/a b,c=d\\e.qcow2"},
		{Key: "string.empty", Type: domstats.TypeString, Value: ""},
		{Key: "string.utf8", Type: domstats.TypeString, Value: "dömäin-✓"},
	}
	want := []any{
		int64(math.MinInt32), int64(math.MaxInt32), uint64(math.MaxUint32),
		int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64),
		0.25, -1.5e300, true, false,
		"/var/lib/libvirt/images/a b,c=d\\e.qcow2", "", "dömäin-✓",
	}
	cp, err := domstatstest.BuildParams(in)
	require.NoError(t, err)
	defer cp.Free()

	got := domstats.NewConverter().Convert(cp)
	require.Len(t, got, len(in))
	for i, p := range got {
		require.Equal(t, in[i].Key, p.Key)
		require.Equal(t, in[i].Type, p.Type)
		require.Equal(t, want[i], p.Value(), "key %s", p.Key)
	}
}

func TestConvertInternsKeys(t *testing.T) {
	cp, err := domstatstest.BuildParams([]domstatstest.Synthetic{{Key: "block.0.rd.bytes", Type: domstats.TypeULLong, Value: uint64(7)}})
	require.NoError(t, err)
	defer cp.Free()

	c := domstats.NewConverter()
	first := c.Convert(cp)
	second := c.Convert(cp)
	// The same backing bytes: the second conversion allocated no key.
	require.Same(t, unsafe.StringData(first[0].Key), unsafe.StringData(second[0].Key))
}

func TestUnknownTypeIsNil(t *testing.T) {
	require.Nil(t, domstats.Param{Key: "x", Type: domstats.Type(42)}.Value())
}

func TestBuildParamsRejectsBadValue(t *testing.T) {
	_, err := domstatstest.BuildParams([]domstatstest.Synthetic{{Key: "x", Type: domstats.TypeInt, Value: 3}})
	require.ErrorContains(t, err, `"x"`)
}
