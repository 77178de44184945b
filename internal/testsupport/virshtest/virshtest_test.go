package virshtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	in := "Domain: 'tlv-run1'\n" +
		"  state.state=1\n" +
		"  block.0.path=/img/a=b.qcow2\n" +
		"\n" +
		"Domain: 'tlv-odd name,a=b\\c'\n" +
		"  net.0.name=tap 'x'\n" +
		"\n" +
		"Domain: 'it's'\n" +
		"\n"
	got, err := Parse(strings.NewReader(in))
	require.NoError(t, err)
	require.Equal(t, []Domain{
		{Name: "tlv-run1", Keys: []string{"state.state", "block.0.path"},
			Values: map[string]string{"state.state": "1", "block.0.path": "/img/a=b.qcow2"}},
		{Name: `tlv-odd name,a=b\c`, Keys: []string{"net.0.name"},
			Values: map[string]string{"net.0.name": "tap 'x'"}},
		{Name: "it's", Values: map[string]string{}},
	}, got)
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"key before domain", "  a=1\n", `line 1: "  a=1" before any Domain line`},
		{"no equals", "Domain: 'd'\n  a\n", `line 2: "  a" is not key=value`},
		{"duplicate key", "Domain: 'd'\n  a=1\n  a=2\n", `line 3: key "a" twice for domain "d"`},
		{"garbage", "error: failed to connect\n", `line 1: unexpected "error: failed to connect"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[any]string{
		int64(-3): "-3", uint64(18446744073709551615): "18446744073709551615",
		0.5: "0.500000", true: "yes", false: "no", "a b": "a b",
	} {
		require.Equal(t, want, Format(v))
	}
}

func TestWantNames(t *testing.T) {
	require.Equal(t, []string{"tlv-off", "tlv-paused"}, WantNames(func(s int) bool { return s != Running }))
}

// An unreachable daemon is an error naming the command and virsh's reason,
// which Require turns into a test failure (never a skip).
func TestCheckUnreachable(t *testing.T) {
	err := check("qemu+unix:///system?socket=/nonexistent/libvirt-sock")
	require.Error(t, err)
	require.Contains(t, err.Error(), "virsh -r domstats --state")
}
