//go:build cgo && linux

package libvirt_stats

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	parsers_influx "github.com/influxdata/telegraf/plugins/parsers/influx"
	serializers_influx "github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/lineproto"
)

// The fuzz targets: `go test -fuzz FuzzX -fuzztime 20s` runs one (make
// fuzz runs each); plain `go test` runs their seeds and the inputs in
// testdata/fuzz/FUZZTARGET, among them every crash found so far.

// roundTrip serializes metrics as Telegraf's influx serializer does and
// parses them back with Telegraf's influx parser: what any line protocol
// output of the plugin must survive. The execd binary's encoder must write
// the same bytes. Values the serializer cannot write
// (NaN and infinite floats) are the only ones allowed to go missing.
func roundTrip(t *testing.T, ms []telegraf.Metric) {
	t.Helper()
	ser := &serializers_influx.Serializer{UintSupport: true}
	if err := ser.Init(); err != nil {
		t.Fatal(err)
	}
	parser := &parsers_influx.Parser{}
	if err := parser.Init(); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		want := writable(m)
		line, err := ser.Serialize(m)
		if len(want) == 0 {
			continue // nothing to write: the serializer refuses the metric
		}
		if err != nil {
			t.Fatalf("serializing %v: %v", m, err)
		}
		got, err := parser.Parse(line)
		if err != nil {
			t.Fatalf("the line protocol of %v does not parse: %v\n%q", m, err, line)
		}
		if len(got) != 1 {
			t.Fatalf("%q parsed into %d metrics", line, len(got))
		}
		// The execd binary writes with its own encoder: it must write the
		// same bytes.
		var enc lineproto.Encoder
		enc.UintSupport = true
		if err := enc.Append(m); err != nil || string(enc.Bytes()) != string(line) {
			t.Fatalf("the execd encoder wrote %q (%v), the serializer %q", enc.Bytes(), err, line)
		}
		g := got[0]
		if g.Name() != m.Name() {
			t.Fatalf("name %q came back as %q from %q", m.Name(), g.Name(), line)
		}
		for _, tag := range m.TagList() {
			if lineTagValue(tag.Value) == "" {
				continue // the serializer drops empty tags
			}
			if v, _ := g.GetTag(tag.Key); v != lineTagValue(tag.Value) {
				t.Fatalf("tag %q=%q came back as %q from %q", tag.Key, tag.Value, v, line)
			}
		}
		if len(g.FieldList()) != len(want) {
			t.Fatalf("%d fields written, %d parsed from %q", len(want), len(g.FieldList()), line)
		}
		for key, v := range want {
			if gv, ok := g.GetField(key); !ok || gv != v {
				t.Fatalf("field %q=%#v came back as %#v from %q", key, v, gv, line)
			}
		}
	}
}

// writable is the fields of m the influx serializer writes, with the keys
// and values the parser gives back.
func writable(m telegraf.Metric) map[string]any {
	out := map[string]any{}
	for _, f := range m.FieldList() {
		if x, ok := f.Value.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
			continue
		}
		out[lineEscapes.Replace(f.Key)] = f.Value
	}
	return out
}

// lineTagValue is a tag value as line protocol carries it: the serializer
// writes tab, newline, form feed and carriage return as the two characters
// \t, \n, \f, \r, which the parser keeps as they are (line protocol has no
// escape for a line break), and drops trailing backslashes (they would
// escape the separator after them).
func lineTagValue(s string) string {
	return strings.TrimRight(lineEscapes.Replace(s), `\`)
}

// lineEscapes is how the serializer writes the control characters that it
// escapes in tags and field keys, and the parser reads back unchanged.
var lineEscapes = strings.NewReplacer("\t", `\t`, "\n", `\n`, "\f", `\f`, "\r", `\r`)

// FuzzLayout builds a record of any typed parameters (empty and odd keys,
// invalid UTF-8 in keys, names and strings, thousands of devices), shapes it
// in both layouts with state names, and checks the line protocol.
func FuzzLayout(f *testing.F) {
	f.Add("web 1,a=b\\c", []byte{6, 10, 'b', 'l', 'o', 'c', 'k', '.', '0', '.', 'n', 'a', 3, 0, 0, 0, 0, 0, 0, 0, 'v', 'd', 'a'}, uint16(0), true)
	f.Add("dom\\", []byte{0, 11, 's', 't', 'a', 't', 'e', '.', 's', 't', 'a', 't', 'e', 1, 0, 0, 0, 0, 0, 0, 0}, uint16(40), false)
	f.Add("\xff\xfe\v", []byte{6, 6, 'n', 'e', 't', '.', '1', '.', 4, 0, 0, 0, 0, 0, 0, 0, '\\', '"', ' ', '='}, uint16(60000), true)
	f.Add("x", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint16(1), true)
	conv := domstats.NewConverter()
	ts := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, name string, data []byte, devices uint16, device bool) {
		// Up to 4096 disks and as many NICs: thousands of devices, yet
		// each input well inside the fuzzer's 10 s limit per input on a
		// loaded 2-core machine (60000 of each took 5 s alone and hung a
		// worker under load).
		n := int(devices) % 4097
		in := append(domstatstest.DecodeSynthetic(data), domstatstest.SyntheticDomain(n, n)...)
		cp, err := domstatstest.BuildParams(in)
		if err != nil {
			return // a key of 80 bytes or more: libvirt never sends one
		}
		rec := conv.ConvertRecord(name, testUUID, cp)
		cp.Free()
		p := &LibvirtStats{Options: Options{URI: "test:///default", Timeout: config.Duration(time.Second), StateNames: true}, Log: testutil.Logger{}}
		if device {
			p.Layout = layoutDevice
		}
		if err := p.Init(); err != nil {
			t.Fatal(err)
		}
		var acc testutil.Accumulator
		p.emit(&acc, rec, ts, p.complete.missing(rec))
		roundTrip(t, acc.GetTelegrafMetrics())
	})
}

// FuzzMetadataXPath compiles any expression as a metadata tag and
// evaluates it on any document: an error or a tag, never a panic.
func FuzzMetadataXPath(f *testing.F) {
	tags, ns := novaTags()
	for _, expr := range tags {
		f.Add(expr, `<domain><metadata><nova:instance xmlns:nova="`+novaNS+`"><nova:name>web 1</nova:name>`+
			`<nova:flavor name="m1"/><nova:owner><nova:project uuid="p">shop</nova:project></nova:owner></nova:instance></metadata></domain>`)
	}
	f.Add("count(//*)", "<a><b/><b/></a>")
	f.Add("string(/domain/name)", "<domain><name>\xff\xfe</name></domain>")
	f.Add("concat(/a, '\n')", "<a>x</a>")
	f.Add("//x[position() = last()]", "<x><x><x/></x></x>")
	f.Fuzz(func(t *testing.T, expr, xml string) {
		queries, err := compileMetadataTags(map[string]string{"t": expr}, ns)
		if err != nil {
			if !strings.Contains(err.Error(), `tag "t"`) {
				t.Fatalf("the error does not name the tag: %v", err)
			}
			return
		}
		c := newMetadataCache(queries, 0, testutil.Logger{})
		got, err := c.evaluate(xml)
		if err != nil {
			return
		}
		if len(got) > 1 || (len(got) == 1 && (got[0].Key != "t" || got[0].Value == "")) {
			t.Fatalf("evaluate gave %v", got)
		}
	})
}

// FuzzConfig loads any [[inputs.libvirt_stats]] table with Telegraf's own
// config loader and runs Init: an error or a plugin, never a panic. A
// plugin on libvirt's in-process test driver then gathers once, and its
// line protocol must parse.
func FuzzConfig(f *testing.F) {
	f.Add(`libvirt_uri = "test:///default"` + "\n" + `layout = "device"` + "\n" + `state_names = true`)
	f.Add(`libvirt_uri = "test:///default"` + "\n" + `metadata_tags = {t = "/domain/name"}`)
	f.Add(`libvirt_uri = "test:///default"` + "\n" + `domains = ["t*", "[a-"]`)
	f.Add(`statistics_groups = ["cpu_total", "nope"]` + "\n" + `domain_states = ["running"]` + "\n" + `timeout = "-1s"`)
	f.Add(`metadata_namespaces = {"" = "x"}` + "\n" + `metadata_tags = {domain = "/x"}`)
	f.Add(`timeout = 0` + "\n" + `enforce = true`)
	f.Add(`layout = "flat"`)
	f.Add(`libvirt_uri = ""`)
	f.Fuzz(func(t *testing.T, table string) {
		// Telegraf's TOML parser (github.com/influxdata/toml) never returns
		// on an unterminated multi-line string in an inline table
		// (testdata/fuzz/FuzzConfig/ff6de627bb7240b9: s={""""), before
		// any plugin sees the table: not this plugin's to fix.
		if strings.Contains(table, `"""`) || strings.Contains(table, `'''`) {
			return
		}
		c := config.NewConfig()
		if err := c.LoadConfigData([]byte("[[inputs.libvirt_stats]]\n"+table), config.EmptySourcePath); err != nil {
			return
		}
		for _, ri := range c.Inputs {
			if err := ri.Init(); err != nil {
				continue
			}
			p, ok := ri.Input.(*LibvirtStats)
			if !ok || p.URI != "test:///default" {
				continue // Init opens nothing; gathers only go to the in-process driver
			}
			var acc testutil.Accumulator
			if err := p.Gather(&acc); err != nil {
				t.Fatal(err)
			}
			p.Stop()
			roundTrip(t, acc.GetTelegrafMetrics())
		}
	})
}

// A vertical tab in a domain name, a device path or a key would end the
// tag set for a line protocol parser: it comes out as the two characters
// \v. A metadata tag name cannot have one at all.
func TestVerticalTabLineSafe(t *testing.T) {
	cp, err := domstatstest.BuildParams([]domstatstest.Synthetic{
		syn("state.state", int64(1)),
		syn("block.0.name", "vd\va"),
		syn("block.0.path", "/img/a\vb.qcow2"),
		syn("block.0.rd\v.bytes", uint64(1)),
	})
	require.NoError(t, err)
	defer cp.Free()
	rec := domstats.NewConverter().ConvertRecord("web\v1", testUUID, cp)
	for _, layout := range []string{layoutDomain, layoutDevice} {
		p := newPlugin(t, "test:///default")
		p.Layout = layout
		require.NoError(t, p.Init())
		var acc testutil.Accumulator
		p.emit(&acc, rec, time.Unix(1700000000, 0), nil)
		ms := acc.GetTelegrafMetrics()
		require.NotEmpty(t, ms)
		for _, m := range ms {
			require.Equal(t, `web\v1`, m.Tags()["domain"])
		}
		roundTrip(t, ms)
	}

	p := newPlugin(t, "test:///default")
	p.MetadataTags = map[string]string{"a\vb": "/domain/name"}
	require.ErrorContains(t, p.Init(), `tag name "a\vb"`)
}
