//go:build qemu

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/bootguest"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/linuxguest"
)

// recipe is one fenced query of docs/queries.md: ```LANG NAME [range=MIN:MAX]
// [nonzero].
type recipe struct {
	lang, name string
	query      string
	min, max   float64
	nonzero    bool // at least one value above zero
	line       int
}

// parseCookbook reads every ```influxql and ```promql block of the file.
func parseCookbook(t *testing.T, path string) []recipe {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []recipe
	var cur *recipe
	for i, line := range strings.Split(string(raw), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```influxql") || cur == nil && strings.HasPrefix(line, "```promql"):
			f := strings.Fields(strings.TrimPrefix(line, "```"))
			require.GreaterOrEqual(t, len(f), 2, "%s:%d: a query block needs a name", path, i+1)
			r := recipe{lang: f[0], name: f[1], min: math.Inf(-1), max: math.Inf(1), line: i + 1}
			for _, a := range f[2:] {
				switch {
				case a == "nonzero":
					r.nonzero = true
				case strings.HasPrefix(a, "range="):
					lo, hi, ok := strings.Cut(strings.TrimPrefix(a, "range="), ":")
					require.True(t, ok, "%s:%d: range=MIN:MAX", path, i+1)
					r.min, err = strconv.ParseFloat(lo, 64)
					require.NoError(t, err)
					r.max, err = strconv.ParseFloat(hi, 64)
					require.NoError(t, err)
				default:
					t.Fatalf("%s:%d: unknown attribute %q", path, i+1, a)
				}
			}
			cur = &r
		case cur != nil && strings.TrimSpace(line) == "```":
			cur.query = strings.TrimSpace(cur.query)
			require.NotEmpty(t, cur.query, "%s:%d: empty query", path, cur.line)
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.query += line + "\n"
		}
	}
	require.Nil(t, cur, "%s: unterminated block", path)
	return out
}

// checkValues holds a recipe's values to its header.
func (r recipe) checkValues(t *testing.T, vals []float64) {
	t.Helper()
	require.NotEmpty(t, vals, "%s %s (docs/queries.md:%d) returned nothing:\n%s", r.lang, r.name, r.line, r.query)
	above := false
	for _, v := range vals {
		require.False(t, math.IsNaN(v), "%s %s: NaN", r.lang, r.name)
		require.True(t, v >= r.min && v <= r.max, "%s %s (docs/queries.md:%d): %v outside [%v, %v]", r.lang, r.name, r.line, v, r.min, r.max)
		above = above || v > 0
	}
	if r.nonzero {
		require.True(t, above, "%s %s (docs/queries.md:%d): no value above zero in %v", r.lang, r.name, r.line, vals)
	}
	t.Logf("%s %s: %d values", r.lang, r.name, len(vals))
}

// values runs the recipe's query on its store: Prometheus, or the
// database of the InfluxDB.
func (r recipe) values(t *testing.T, prom *prometheus, db *influxDB, database string) []float64 {
	t.Helper()
	if r.lang == "promql" {
		return prom.mustValues(t, r.query)
	}
	return influxValues(db.mustQuery(t, database, r.query))
}

// influxValues are the numbers of every series of an InfluxQL result;
// nulls (an empty interval) and strings (a tag column of top) left out.
func influxValues(ss []series) []float64 {
	var out []float64
	for _, s := range ss {
		for _, row := range s.Values {
			for _, v := range row[1:] {
				if n, ok := v.(json.Number); ok {
					f, err := n.Float64()
					if err == nil {
						out = append(out, f)
					}
				}
			}
		}
	}
	return out
}

// Telegraf (compiled in, examples/telegraf-prometheus.conf: device layout,
// derived) serves the QEMU guests' metrics to a private Prometheus and
// writes them to InfluxDB; a boot-sector guest reads its disk, and is
// frozen for a few seconds so that a domain is partial. Then: promtool
// parses the exposition, PromQL returns per-domain series, and every
// query of docs/queries.md returns plausible values from both stores.
func TestPrometheusAndCookbook(t *testing.T) {
	stores := needPromStores(t)
	guest := bootguest.Start(t)
	// The memory queries need a balloon driver in the guest.
	linuxguest.RequireInLab(t)

	// Long enough for rate() windows and 10 s InfluxQL intervals to hold
	// several samples.
	stores.gatherAroundFreeze(t, "cookbook", guest.Name, 14*time.Second)
	prom := stores.prom

	t.Run("promtool check metrics parses the exposition", func(t *testing.T) {
		resp, err := http.Get("http://" + promClientAddr + "/metrics")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Contains(t, string(body), "libvirt_stats_block_rd_reqs_rate{")
		findings := promtoolCheck(t, body)
		kinds := map[string]int{}
		for _, f := range findings {
			_, problem, _ := strings.Cut(f, " ")
			kinds[problem]++
		}
		t.Logf("promtool findings by kind (%d in all): %v", len(findings), kinds)
	})

	t.Run("PromQL returns per-domain series", func(t *testing.T) {
		running := []string{"tlv-run1", "tlv-run2", "tlv-run3", guest.Name}
		got := map[string]float64{}
		for _, s := range prom.mustQuery(t, `rate(libvirt_stats_cpu_time[1m])`) {
			got[s.Labels["domain"]] = s.Value
		}
		for _, d := range running {
			require.Contains(t, got, d)
			require.Greater(t, got[d], 0.0, "%s uses CPU", d)
		}
		vda := map[string]promSample{}
		for _, s := range prom.mustQuery(t, `libvirt_stats_block_rd_bytes{device="vda"}`) {
			vda[s.Labels["domain"]] = s
		}
		for _, d := range running {
			require.Contains(t, vda, d)
		}
		require.Equal(t, guest.UUID, vda[guest.Name].Labels["uuid"])
		rate := prom.mustQuery(t, fmt.Sprintf(`libvirt_stats_block_rd_reqs_rate{domain=%q}`, guest.Name))
		require.Len(t, rate, 1)
		bootguest.RequirePace(t, rate[0].Value)
	})

	recipes := parseCookbook(t, filepath.Join(repoRoot, "docs", "queries.md"))
	langs := map[string]int{}
	for _, r := range recipes {
		langs[r.lang]++
		t.Run("docs/queries.md/"+r.lang+"/"+r.name, func(t *testing.T) {
			r.checkValues(t, r.values(t, prom, stores.db, stores.database))
		})
	}
	require.Greater(t, langs["influxql"], 10)
	require.Greater(t, langs["promql"], 10)
}
