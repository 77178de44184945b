package lineproto

import (
	"math"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	parser "github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
)

var ts = time.Unix(1764763200, 123456789)

func mk(name string, tags map[string]string, fields map[string]any) telegraf.Metric {
	return metric.New(name, tags, fields, ts)
}

// Every escape rule and every type of Telegraf's influx serializer, and what
// it leaves out.
var cases = []struct {
	name string
	m    telegraf.Metric
}{
	{"plain", mk("libvirt_stats", map[string]string{"domain": "web", "uuid": "6695eb01"}, map[string]any{"state.state": int64(1)})},
	{"all types", metric.New("m", nil, map[string]any{
		"i": int64(-42), "u": uint64(42), "umax": uint64(math.MaxUint64), "uedge": uint64(math.MaxInt64) + 1,
		"f": 1.5, "fint": 3.0, "fbig": 1e300, "fsmall": 5e-324, "fneg": -0.1, "fzero": math.Copysign(0, -1),
		"s": "hi", "empty": "", "t": true, "b": false,
	}, ts)},
	{"name escapes", mk("a b,c=d\"j\\k", nil, map[string]any{"v": int64(1)})},
	{"tag escapes", mk("m", map[string]string{"k ,=\t\n\r\f\"\\x": "v ,=\t\n\r\f\"\\y"}, map[string]any{"v": int64(1)})},
	{"field key escapes", mk("m", nil, map[string]any{"k ,=\t\n\r\f\"\\": int64(1), "a\\": int64(2)})},
	{"string escapes", mk("m", nil, map[string]any{"s": "a \"b\" \\c\\ ,=\t\n\r\f é\x00\xff"})},
	{"tag trailing backslashes", mk("m", map[string]string{"k\\\\": "v\\", "a,\\": "b", "c": "d ,\\"}, map[string]any{"v": int64(1)})},
	{"tag only backslashes dropped", mk("m", map[string]string{"\\": "v", "k": "\\\\", "z": "1"}, map[string]any{"v": int64(1)})},
	{"empty tag key and value dropped", mk("m", map[string]string{"": "v", "k": "", "z": "1"}, map[string]any{"v": int64(1)})},
	{"NaN and Inf dropped", mk("m", nil, map[string]any{"a": math.NaN(), "b": 1.0, "c": math.Inf(1), "d": math.Inf(-1)})},
	{"first fields dropped", mk("m", nil, map[string]any{"a": math.NaN(), "b": math.Inf(1)}).Copy()},
	{"empty field key dropped", mk("m", nil, map[string]any{"": int64(1), "x": int64(2)})},
	{"no serializable fields", mk("m", map[string]string{"t": "a "}, map[string]any{"a": math.NaN()})},
	{"no fields", mk("m", map[string]string{"t": "v"}, nil)},
	{"empty name", mk("", nil, map[string]any{"v": int64(1)})},
	{"negative time", metric.New("m", nil, map[string]any{"v": int64(1)}, time.Unix(-5, -1))},
	{"name control escapes", mk("d\te\nf\rg\fh\\i", nil, map[string]any{"v": int64(1)})},
	{"utf-8", mk("mé", map[string]string{"ключ": "значение"}, map[string]any{"日本": "語"})},
}

func init() {
	// A field of a type the serializer does not know (metric.New would
	// convert it): added after construction, as a plugin could.
	m := mk("m", nil, map[string]any{"v": int64(1)})
	m.FieldList()[0].Value = int32(7)
	m.AddField("w", int64(2))
	cases = append(cases, struct {
		name string
		m    telegraf.Metric
	}{"unknown type dropped", m})
	// Fields in insertion order, not sorted.
	m = mk("m", nil, nil)
	for _, k := range []string{"z", "a", "m"} {
		m.AddField(k, int64(1))
	}
	cases = append(cases, struct {
		name string
		m    telegraf.Metric
	}{"field order kept", m})
}

// serialize is the reference: Telegraf's serializer as the shim (no uint
// support) or -once (uint support) configures it.
func serialize(t testing.TB, m telegraf.Metric, uintSupport bool) ([]byte, error) {
	s := &influx.Serializer{UintSupport: uintSupport}
	require.NoError(t, s.Init())
	return s.Serialize(m)
}

func TestAppendEqualsSerializer(t *testing.T) {
	for _, uintSupport := range []bool{false, true} {
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				want, wantErr := serialize(t, tt.m, uintSupport)
				e := &Encoder{UintSupport: uintSupport}
				e.buf = append(e.buf, "previous\n"...)
				err := e.Append(tt.m)
				require.Equal(t, "previous\n"+string(want), string(e.Bytes()))
				if wantErr != nil {
					require.EqualError(t, err, wantErr.Error())
				} else {
					require.NoError(t, err)
				}
			})
		}
	}
}

func TestAppendUint(t *testing.T) {
	m := mk("m", nil, map[string]any{"u": uint64(math.MaxUint64)})
	e := &Encoder{}
	require.NoError(t, e.Append(m))
	e.UintSupport = true
	require.NoError(t, e.Append(m))
	require.Equal(t, "m u=9223372036854775807i 1764763200123456789\nm u=18446744073709551615u 1764763200123456789\n", string(e.Bytes()))
}

func TestDebugfNamesDroppedField(t *testing.T) {
	var got []string
	e := &Encoder{Debugf: func(format string, args ...any) { got = append(got, format) }}
	require.NoError(t, e.Append(mk("m", nil, map[string]any{"a": math.NaN(), "b": 1.0})))
	require.Len(t, got, 1)
}

// What the encoder writes, Telegraf's influx parser (the one inputs.execd
// uses) reads back as the metrics written, all types and escapes included.
func TestParsedBack(t *testing.T) {
	var in []telegraf.Metric
	for _, tt := range cases {
		switch tt.name {
		case "plain", "all types", "name escapes", "string escapes", "field order kept", "utf-8", "negative time":
			in = append(in, tt.m)
		}
	}
	// Telegraf's serializer writes a tab or newline in a tag or field key
	// as \t, \n, which its parser reads back as two characters (only \,
	// \= and "\ " are unescaped there), and a field key ending in a
	// backslash is not encodable: the keys that round-trip, escaped.
	in = append(in, mk("m ,x", map[string]string{"k ,=\"\\x": "v ,=\"\\y"}, map[string]any{"k ,=\"\\x": int64(1)}))
	for _, uintSupport := range []bool{false, true} {
		e := &Encoder{UintSupport: uintSupport}
		for _, m := range in {
			require.NoError(t, e.Append(m))
		}
		p := &parser.Parser{}
		require.NoError(t, p.Init())
		got, err := p.Parse(e.Bytes())
		require.NoError(t, err)
		want := make([]telegraf.Metric, len(in))
		for i, m := range in {
			want[i] = m.Copy()
			if !uintSupport {
				for _, f := range want[i].FieldList() {
					if u, ok := f.Value.(uint64); ok {
						f.Value = int64(min(u, math.MaxInt64))
					}
				}
			}
		}
		testutil.RequireMetricsEqual(t, want, got)
	}
}

// FuzzAppend: for any name, tags, keys and values, the encoder's bytes
// and error are the serializer's.
func FuzzAppend(f *testing.F) {
	f.Add("m", "k", "v", "f", "s", 1.5, int64(-1), uint64(1), true)
	f.Add("a b,c", "k=,\\", "v \\", "f=\n", "\"\\", math.NaN(), int64(math.MinInt64), uint64(math.MaxUint64), false)
	f.Add("", "", "", "", "", math.Inf(1), int64(0), uint64(0), false)
	f.Fuzz(func(t *testing.T, name, tk, tv, fk, sv string, fv float64, iv int64, uv uint64, bv bool) {
		fields := []telegraf.Field{{Key: fk, Value: sv}, {Key: fk + "f", Value: fv}, {Key: "i" + fk, Value: iv}, {Key: "u", Value: uv}, {Key: tk, Value: bv}}
		m := metric.New(name, map[string]string{tk: tv, tv: tk, "z": tv}, nil, time.Unix(0, iv))
		for _, fl := range fields {
			m.AddField(fl.Key, fl.Value)
		}
		for _, uintSupport := range []bool{false, true} {
			want, wantErr := serialize(t, m, uintSupport)
			e := &Encoder{UintSupport: uintSupport}
			err := e.Append(m)
			if string(want) != string(e.Bytes()) {
				t.Fatalf("uint %v: serializer %q, encoder %q", uintSupport, want, e.Bytes())
			}
			if (wantErr == nil) != (err == nil) || err != nil && err.Error() != wantErr.Error() {
				t.Fatalf("uint %v: serializer error %v, encoder error %v", uintSupport, wantErr, err)
			}
		}
	})
}

// A gather-sized batch: 26 metrics of ~50 fields of the types the plugin
// emits (the domain layout on 20 guests is 26 metrics, 1332 fields).
func gatherMetrics() []telegraf.Metric {
	ms := make([]telegraf.Metric, 26)
	for i := range ms {
		m := metric.New("libvirt_stats", map[string]string{"domain": "tlv-guest-" + string(rune('a'+i)), "uuid": "6695eb01-f6a4-8304-79aa-97f2502e193f"}, nil, ts)
		for j := range 51 {
			key := "block." + string(rune('0'+j%10)) + ".rd.bytes" + string(rune('a'+j/10))
			switch j % 4 {
			case 0:
				m.AddField(key, uint64(j)*123456789)
			case 1:
				m.AddField(key, int64(j)*98765)
			case 2:
				m.AddField(key, float64(j)*1.25)
			default:
				m.AddField(key, "vda")
			}
		}
		ms[i] = m
	}
	return ms
}

func BenchmarkGather(b *testing.B) {
	ms := gatherMetrics()
	b.Run("encoder", func(b *testing.B) {
		e := &Encoder{}
		b.ReportAllocs()
		for b.Loop() {
			e.Reset()
			for _, m := range ms {
				if err := e.Append(m); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.SetBytes(int64(len(e.Bytes())))
	})
	b.Run("serializer", func(b *testing.B) {
		// What the shim did: Serialize each metric, one write each (here
		// into a discarding writer, the shim's fmt.Fprint(string(b)) copy kept).
		s := &influx.Serializer{}
		require.NoError(b, s.Init())
		var n int
		b.ReportAllocs()
		for b.Loop() {
			n = 0
			for _, m := range ms {
				out, err := s.Serialize(m)
				if err != nil {
					b.Fatal(err)
				}
				n += len(string(out))
			}
		}
		b.SetBytes(int64(n))
	})
}
