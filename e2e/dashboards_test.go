//go:build qemu

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/bootguest"
)

// emptyHere names the targets of dashboards/json that may return nothing
// on the lab's guests, and why: "FILE/PANEL/REFID". Every other target
// must return data.
var emptyHere = map[string]emptyReason{
	"fleet-influxdb.json/Domains by state/D":   {why: "no lab guest is in a state other than running, paused or shut off"},
	"fleet-prometheus.json/Domains by state/D": {why: "no lab guest is in a state other than running, paused or shut off"},
	"fleet-influxdb.json/Memory used/A":        noBalloon,
	"fleet-prometheus.json/Memory used/A":      noBalloon,
	"domain-influxdb.json/Balloon memory/A":    noBalloon,
	"domain-prometheus.json/Balloon memory/A":  noBalloon,
	"domain-influxdb.json/Memory used/A":       noBalloon,
	"domain-prometheus.json/Memory used/A":     noBalloon,
	"domain-influxdb.json/Disk latency/B":      noWrites,
	"domain-prometheus.json/Disk latency/B":    noWrites,
	"domain-influxdb.json/Disk latency/C":      noFlushes,
	"domain-prometheus.json/Disk latency/C":    noFlushes,
}

// emptyReason says why a target may return nothing; with needsBalloon it
// must return data all the same when a lab guest reports its memory
// through a balloon driver (a guest that runs Linux).
type emptyReason struct {
	why          string
	needsBalloon bool
}

var (
	noBalloon = emptyReason{why: "balloon.used needs a guest whose OS runs a balloon driver; the tlv-* guests run none", needsBalloon: true}
	noWrites  = emptyReason{why: "no guest need write in the test's minute: the boot-sector guest only reads, the tlv-* guests idle"}
	noFlushes = emptyReason{why: "no guest need flush in the test's minute: the boot-sector guest only reads, the tlv-* guests idle"}
)

// Grafana's settings the macros are expanded with: the InfluxDB
// datasource's default minimum interval, and the Prometheus datasource's
// default scrape interval (15 s) from which Grafana derives
// $__rate_interval = max($__interval + scrape, 4 × scrape).
const (
	grafanaInfluxInterval = 10 * time.Second
	grafanaPromScrape     = 15 * time.Second
)

// grafanaDashboard is what the test reads of a dashboard's JSON.
type grafanaDashboard struct {
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Type  string `json:"type"`
			Name  string `json:"name"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Type    string            `json:"type"`
		Title   string            `json:"title"`
		Targets []dashboardTarget `json:"targets"`
	} `json:"panels"`
}

// dashboardTarget is one query of a panel.
type dashboardTarget struct {
	RefID   string `json:"refId"`
	Query   string `json:"query"` // InfluxDB
	Expr    string `json:"expr"`  // Prometheus
	Instant bool   `json:"instant"`
}

func readDashboard(t *testing.T, file string) grafanaDashboard {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "dashboards", "json", file))
	require.NoError(t, err)
	var d grafanaDashboard
	require.NoError(t, json.Unmarshal(raw, &d), file)
	require.NotEmpty(t, d.Panels, file)
	return d
}

// timeWindow is the dashboard's time range in the test.
type timeWindow struct{ from, to time.Time }

// expandInflux expands Grafana's macros and the variables in an InfluxQL
// target as the InfluxDB datasource does: $timeFilter as epoch
// milliseconds, $__interval, and each variable as a regular expression
// of its values (what Grafana writes into =~ /^$var$/).
func expandInflux(q string, w timeWindow, vars map[string][]string) string {
	pairs := []string{
		"$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", w.from.UnixMilli(), w.to.UnixMilli()),
		"$__interval", durationString(grafanaInfluxInterval),
	}
	for name, values := range vars {
		pairs = append(pairs, "$"+name, regexAlternatives(values, `\`))
	}
	return replaceLongestFirst(q, pairs)
}

// expandProm is expandInflux for PromQL: $__interval, $__rate_interval,
// $__range, and the variables as regular expressions in a PromQL string.
func expandProm(q string, w timeWindow, vars map[string][]string) string {
	interval := grafanaPromScrape
	rate := max(interval+grafanaPromScrape, 4*grafanaPromScrape)
	pairs := []string{
		"$__rate_interval", durationString(rate),
		"$__interval", durationString(interval),
		"$__range", durationString(w.to.Sub(w.from)),
	}
	for name, values := range vars {
		pairs = append(pairs, "$"+name, regexAlternatives(values, `\\`))
	}
	return replaceLongestFirst(q, pairs)
}

// replaceLongestFirst replaces old/new pairs, the longer names first, so
// that $__interval does not eat $__interval_ms nor $host $hostname.
func replaceLongestFirst(s string, pairs []string) string {
	type pair struct{ old, new string }
	var ps []pair
	for i := 0; i < len(pairs); i += 2 {
		ps = append(ps, pair{pairs[i], pairs[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return len(ps[i].old) > len(ps[j].old) })
	var flat []string
	for _, p := range ps {
		flat = append(flat, p.old, p.new)
	}
	return strings.NewReplacer(flat...).Replace(s)
}

func durationString(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) + "s" }

// regexAlternatives is Grafana's regex formatting of a variable's values:
// one value escaped, several as (a|b); esc is the backslash as the query
// language writes it in that place.
func regexAlternatives(values []string, esc string) string {
	var quoted []string
	for _, v := range values {
		quoted = append(quoted, regexp.MustCompile(`[\\^$*+?.()|\[\]{}/]`).ReplaceAllString(v, esc+"$0"))
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return "(" + strings.Join(quoted, "|") + ")"
}

// leftover finds a variable or macro that expansion missed.
var leftover = regexp.MustCompile(`\$[A-Za-z_{]`)

// promRange runs a range query with the step of Grafana's $__interval.
func (p *prometheus) promRange(q string, w timeWindow, step time.Duration) ([]float64, error) {
	v := url.Values{"query": {q}, "start": {unixSeconds(w.from)}, "end": {unixSeconds(w.to)}, "step": {durationString(step)}}
	var data struct {
		Result []struct {
			Values [][2]any `json:"values"`
		} `json:"result"`
	}
	if err := p.api("query_range", v, &data); err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	var out []float64
	for _, s := range data.Result {
		for _, pt := range s.Values {
			if f, err := sampleValue(pt); err == nil && !math.IsNaN(f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// labelValues is Grafana's label_values(SELECTOR, LABEL) variable query:
// the label's values on the series the selector matches.
func (p *prometheus) labelValues(t *testing.T, query string) []string {
	t.Helper()
	m := regexp.MustCompile(`^label_values\((.+), *([a-zA-Z_][a-zA-Z0-9_]*)\)$`).FindStringSubmatch(query)
	require.NotNil(t, m, "not a label_values query: %s", query)
	var series []map[string]string
	require.NoError(t, p.api("series", url.Values{"match[]": {m[1]}}, &series), "series %s", m[1])
	seen := map[string]bool{}
	for _, s := range series {
		if v := s[m[2]]; v != "" {
			seen[v] = true
		}
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func httpGet(u string) ([]byte, error) {
	client := http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func unixSeconds(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// Telegraf with the plugin (examples/telegraf-prometheus.conf on the lab,
// with collector_metrics) feeds InfluxDB and Prometheus from the lab's
// guests and a guest that reads its disk, frozen for a while so that it is
// partial. Then every target of every panel of the four dashboards, with
// Grafana's macros and the variables (from the dashboards' own variable
// queries) expanded, runs against its store and returns data, unless
// emptyHere says why not.
func TestDashboardQueries(t *testing.T) {
	stores := needPromStores(t)
	guest := bootguest.Start(t)

	start := stores.gatherAroundFreeze(t, "dashboards", guest.Name, 20*time.Second,
		edit{"\n  derived = true\n", "\n  derived = true\n  collector_metrics = true\n"})
	db, database, prom := stores.db, stores.database, stores.prom
	w := timeWindow{from: start.Add(-time.Minute), to: time.Now()}

	// The guests whose balloon driver reports memory: the memory panels
	// must show them.
	balloon := map[string]bool{}
	for _, sr := range db.mustQuery(t, database, `SELECT last("balloon.available") FROM "libvirt_stats" GROUP BY "domain"`) {
		balloon[sr.Tags["domain"]] = true
	}
	t.Logf("guests with a balloon driver: %v", sortedKeys(balloon))

	files, err := filepath.Glob(filepath.Join(repoRoot, "dashboards", "json", "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 4, "dashboards/json: fleet and domain, for InfluxDB and Prometheus")
	used := map[string]bool{}
	for _, path := range files {
		file := filepath.Base(path)
		d := readDashboard(t, file)
		influx := strings.HasSuffix(file, "-influxdb.json")
		require.True(t, influx || strings.HasSuffix(file, "-prometheus.json"), "%s: which datasource?", file)
		run := func(t *testing.T, tgt dashboardTarget, vars map[string][]string) (vals []float64, q string) {
			if influx {
				q = expandInflux(tgt.Query, w, vars)
				require.NotRegexp(t, leftover, q, "a macro or variable is left")
				return influxValues(db.mustQuery(t, database, q)), q
			}
			q = expandProm(tgt.Expr, w, vars)
			require.NotRegexp(t, leftover, q, "a macro or variable is left")
			if tgt.Instant {
				return prom.mustValues(t, q), q
			}
			vals, err := prom.promRange(q, w, grafanaPromScrape)
			require.NoError(t, err)
			return vals, q
		}
		// The variables, each from its own query with the variables
		// before it expanded. The domain dashboard is run for the guest
		// that reads its disk, a guest with NICs and each guest with a
		// balloon driver.
		vars := map[string][]string{}
		var domains []string
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			var values []string
			if influx {
				for _, s := range db.mustQuery(t, database, expandInflux(v.Query, w, vars)) {
					values = append(values, column(t, []series{s}, "value")...)
				}
			} else {
				values = prom.labelValues(t, expandProm(v.Query, w, vars))
			}
			require.NotEmpty(t, values, "%s: variable %s: no values from %s", file, v.Name, v.Query)
			t.Logf("%s: $%s = %v", file, v.Name, values)
			if v.Name == "domain" {
				// tlv-run1 has two NICs (testdata/qemu)
				domains = append([]string{guest.Name, "tlv-run1"}, sortedKeys(balloon)...)
				for _, b := range domains {
					require.Contains(t, values, b, "%s: variable domain", file)
				}
				continue
			}
			vars[v.Name] = values
		}
		if domains == nil {
			domains = []string{""} // no domain variable
		}
		for _, p := range d.Panels {
			for _, tgt := range p.Targets {
				key := file + "/" + p.Title + "/" + tgt.RefID
				t.Run(key, func(t *testing.T) {
					got := map[string]int{}
					var queries []string
					for _, dom := range domains {
						if dom != "" {
							vars["domain"] = []string{dom}
						}
						vals, q := run(t, tgt, vars)
						got[dom] = len(vals)
						queries = append(queries, q)
					}
					total := 0
					for _, n := range got {
						total += n
					}
					reason, marked := emptyHere[key]
					used[key] = used[key] || marked
					if marked && (!reason.needsBalloon || len(balloon) == 0) {
						t.Logf("values by domain %v (may be empty: %s)\n%s", got, reason.why, strings.Join(queries, "\n"))
						return
					}
					require.Positive(t, total, "no data:\n%s", strings.Join(queries, "\n"))
					t.Logf("values by domain %v\n%s", got, strings.Join(queries, "\n"))
				})
			}
		}
	}
	for key := range emptyHere {
		require.True(t, used[key], "emptyHere names %q, which no dashboard has", key)
	}
}
