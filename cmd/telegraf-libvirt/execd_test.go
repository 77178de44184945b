//go:build cgo && linux

package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/models"
	parser "github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
)

func gatherLines(t *testing.T, ri *models.RunningInput, uintSupport bool) string {
	t.Helper()
	var out bytes.Buffer
	errs, err := newLineAccumulator(ri, uintSupport).gather(&out)
	require.NoError(t, err)
	require.Zero(t, errs)
	return out.String()
}

// Telegraf's per-plugin options in the binary's table act as they do
// compiled in (models.RunningInput applies them).
func TestPerPluginOptions(t *testing.T) {
	const table = "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n"
	tests := []struct {
		name, options, want string
	}{
		{"tags and name_override", `
  name_override = "vm"
  fieldinclude = ["state.state"]
  [inputs.libvirt_stats.tags]
    site = "lab 1"
`, `vm,domain=test,site=lab\ 1,uuid=6695eb01-f6a4-8304-79aa-97f2502e193f state.state=1i`},
		{"prefix, suffix, fieldexclude, tagexclude", `
  name_prefix = "p_"
  name_suffix = "_s"
  fieldexclude = ["state.state"]
  tagexclude = ["uuid"]
`, `p_libvirt_stats_s,domain=test state.reason=0i`},
		{"taginclude, namepass", `
  taginclude = ["domain"]
  namepass = ["libvirt_*"]
`, `libvirt_stats,domain=test state.state=1i,state.reason=0i`},
		{"tagpass", `
  [inputs.libvirt_stats.tagpass]
    domain = ["te*"]
`, `libvirt_stats,domain=test,uuid=6695eb01-f6a4-8304-79aa-97f2502e193f state.state=1i,state.reason=0i`},
		{"namedrop", `
  namedrop = ["libvirt_stats"]
`, ``},
		{"every field excluded", `
  fieldinclude = ["nothing"]
`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := gatherLines(t, initInput(t, table+tt.options), true)
			if tt.want == "" {
				require.Empty(t, out)
				return
			}
			require.Regexp(t, `^`+regexpQuote(tt.want)+` \d{19}\n$`, out)
		})
	}
}

func regexpQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `.`, `\.`, `*`, `\*`, `[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`).Replace(s)
}

// The lines of a real gather (120 test-driver domains with every group,
// both layouts) are, byte for byte, what Telegraf's influx serializer
// makes of the same metrics, and Telegraf's influx parser (inputs.execd's)
// reads them back as those metrics; uint64 as integers for execd, with the
// u suffix for -once.
func TestGatherLinesAreTelegrafs(t *testing.T) {
	for _, layout := range []string{"domain", "device"} {
		for _, uintSupport := range []bool{false, true} {
			ri := initInput(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \""+nodeURI(t)+"\"\n  layout = \""+layout+"\"\n")
			var acc testutil.Accumulator
			require.NoError(t, ri.Gather(&acc))
			require.Empty(t, acc.Errors)
			metrics := acc.GetTelegrafMetrics()
			require.GreaterOrEqual(t, len(metrics), 120)

			s := &influx.Serializer{UintSupport: uintSupport}
			require.NoError(t, s.Init())
			var want []byte
			a := newLineAccumulator(ri, uintSupport)
			for _, m := range metrics {
				b, err := s.Serialize(m)
				require.NoError(t, err)
				want = append(want, b...)
				a.AddMetric(m)
			}
			got := a.enc.Bytes()
			require.Equal(t, string(want), string(got))
			if uintSupport {
				require.Contains(t, string(got), "u,")
			} else {
				require.NotRegexp(t, `=\d+u[, ]`, string(got))
			}

			p := &parser.Parser{}
			require.NoError(t, p.Init())
			back, err := p.Parse(got)
			require.NoError(t, err)
			if !uintSupport {
				for _, m := range metrics {
					for _, f := range m.FieldList() {
						if u, ok := f.Value.(uint64); ok {
							f.Value = int64(min(u, math.MaxInt64))
						}
					}
				}
			}
			testutil.RequireMetricsEqual(t, metrics, back)
		}
	}
}

// writes records every Write: serve must write each gather at once.
type writes struct {
	mu     sync.Mutex
	writes []string
	cond   chan struct{}
}

func newWrites() *writes { return &writes{cond: make(chan struct{}, 100)} }

func (w *writes) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, string(b))
	w.mu.Unlock()
	w.cond <- struct{}{}
	return len(b), nil
}

func (w *writes) wait(t *testing.T) {
	t.Helper()
	select {
	case <-w.cond:
	case <-time.After(30 * time.Second):
		t.Fatal("no write within 30 s")
	}
}

func (w *writes) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

func TestServeStdinSignal(t *testing.T) {
	ri := initInput(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \""+nodeURI(t)+"\"\n  layout = \"device\"\n")
	stdinR, stdinW := io.Pipe()
	out := newWrites()
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), ri, 0, stdinR, out) }()
	for range 3 {
		_, err := stdinW.Write([]byte("\n"))
		require.NoError(t, err)
		out.wait(t)
	}
	require.NoError(t, stdinW.Close())
	select {
	case err := <-done:
		require.NoError(t, err, "stdin's end stops serve")
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after stdin closed")
	}
	ws := out.all()
	require.Len(t, ws, 3, "one write per gather")
	for _, w := range ws {
		lines := strings.Count(w, "\n")
		require.Greater(t, lines, 120, "a whole gather in the write")
		require.True(t, strings.HasSuffix(w, "\n"))
		require.NotContains(t, w, "u,", "uint64 written as integers, as the shim did")
	}
}

func TestServePollStopsOnCancel(t *testing.T) {
	ri := initInput(t, "[[inputs.libvirt_stats]]\n  libvirt_uri = \"test:///default\"\n")
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	out := newWrites()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ri, 20*time.Millisecond, stdinR, out) }()
	out.wait(t)
	out.wait(t)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
	for _, w := range out.all() {
		require.Regexp(t, `^libvirt_stats,domain=test,uuid=\S+ state.state=1i,state.reason=0i \d{19}\n$`, w)
	}
}

var _ telegraf.Accumulator = (*lineAccumulator)(nil)
