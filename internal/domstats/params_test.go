//go:build cgo

package domstats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConvertEveryType(t *testing.T) {
	in := []Synthetic{
		{"int.neg", TypeInt, int64(math.MinInt32)},
		{"int.pos", TypeInt, int64(math.MaxInt32)},
		{"uint.max", TypeUint, uint64(math.MaxUint32)},
		{"llong.min", TypeLLong, int64(math.MinInt64)},
		{"llong.max", TypeLLong, int64(math.MaxInt64)},
		{"ullong.max", TypeULLong, uint64(math.MaxUint64)},
		{"double.frac", TypeDouble, 0.25},
		{"double.neg", TypeDouble, -1.5e300},
		{"bool.true", TypeBoolean, int64(1)},
		{"bool.false", TypeBoolean, int64(0)},
		{"string.path", TypeString, "/var/lib/libvirt/images/a b,c=d\\e.qcow2"},
		{"string.empty", TypeString, ""},
		{"string.utf8", TypeString, "dömäin-✓"},
	}
	want := []any{
		int64(math.MinInt32), int64(math.MaxInt32), uint64(math.MaxUint32),
		int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64),
		0.25, -1.5e300, true, false,
		"/var/lib/libvirt/images/a b,c=d\\e.qcow2", "", "dömäin-✓",
	}
	cp, err := BuildParams(in)
	require.NoError(t, err)
	defer cp.Free()

	got := NewConverter().Convert(cp)
	require.Len(t, got, len(in))
	for i, p := range got {
		require.Equal(t, in[i].Key, p.Key)
		require.Equal(t, in[i].Type, p.Type)
		require.Equal(t, want[i], p.Value(), "key %s", p.Key)
	}
}

func TestConvertInternsKeys(t *testing.T) {
	cp, err := BuildParams([]Synthetic{{"block.0.rd.bytes", TypeULLong, uint64(7)}})
	require.NoError(t, err)
	defer cp.Free()

	c := NewConverter()
	first := c.Convert(cp)
	second := c.Convert(cp)
	// The same backing bytes: the second conversion allocated no key.
	require.Same(t, unsafeStringData(first[0].Key), unsafeStringData(second[0].Key))
}

func TestUnknownTypeIsNil(t *testing.T) {
	require.Nil(t, Param{Key: "x", Type: Type(42)}.Value())
}

func TestBuildParamsRejectsBadValue(t *testing.T) {
	_, err := BuildParams([]Synthetic{{"x", TypeInt, 3}})
	require.ErrorContains(t, err, `"x"`)
}
