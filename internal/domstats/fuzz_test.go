//go:build cgo && linux

package domstats_test

import (
	"math"
	"strings"
	"testing"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// FuzzConvert builds records of any types, keys (empty, up to libvirt's
// limit, invalid UTF-8) and strings with libvirt's own typed-parameter API
// and converts them: every parameter comes back with its key, type and
// value, and the converter's caches stay bounded.
func FuzzConvert(f *testing.F) {
	f.Add([]byte{0, 5, 's', 't', 'a', 't', 'e', 1, 0, 0, 0, 0, 0, 0, 0}, uint16(0))
	f.Add([]byte{6, 4, 'n', 'a', 'm', 'e', 3, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 'x'}, uint16(3))
	f.Add([]byte{4, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f}, uint16(4000)) // NaN, empty key
	c := domstats.NewConverter()
	f.Fuzz(func(t *testing.T, data []byte, devices uint16) {
		in := domstatstest.DecodeSynthetic(data)
		// Thousands of devices: a block device's 17 keys each.
		in = append(in, domstatstest.SyntheticDomain(int(devices), int(devices))...)
		cp, err := domstatstest.BuildParams(in)
		if err != nil {
			// libvirt refuses a key of 80 bytes or more: it never sends one.
			for _, s := range in {
				if len(cString(s.Key)) >= 80 {
					return
				}
			}
			t.Fatalf("BuildParams refused valid input: %v", err)
		}
		defer cp.Free()
		got := c.Convert(cp)
		if len(got) != len(in) {
			t.Fatalf("%d params in, %d out", len(in), len(got))
		}
		for i, p := range got {
			s := in[i]
			key := strings.ReplaceAll(cString(s.Key), "\v", `\v`) // see intern
			if p.Key != key || p.Type != s.Type {
				t.Fatalf("param %d: got %q/%d, want %q/%d", i, p.Key, p.Type, key, s.Type)
			}
			want := s.Value
			switch s.Type {
			case domstats.TypeBoolean:
				want = s.Value.(int64) != 0
			case domstats.TypeString:
				want = cString(s.Value.(string))
			}
			v := p.Value()
			if f, ok := v.(float64); ok && math.IsNaN(f) && math.IsNaN(want.(float64)) {
				continue
			}
			if v != want {
				t.Fatalf("param %d (%q): got %#v, want %#v", i, p.Key, v, want)
			}
		}
		if n, _, _ := c.CacheSizes(); n > domstats.MaxInterned {
			t.Fatalf("%d interned strings, bound %d", n, domstats.MaxInterned)
		}
	})
}
