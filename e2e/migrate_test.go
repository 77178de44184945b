//go:build qemu

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/bootguest"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// mapping is one row of docs/migrate.md's field-by-field table (made from
// dashboards/migrate.go).
type mapping struct {
	theirs, field string // inputs.libvirt's measurement and field
	ours, oursKey string // ours and our field or tag
	kind          string // counter, gauge, constant, tag, none
}

var mdCode = regexp.MustCompile("`([^`]*)`")

// parseMigration reads the field-by-field table of docs/migrate.md.
func parseMigration(t *testing.T) []mapping {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "migrate.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(raw), "\n## Field by field\n")
	require.True(t, ok, "docs/migrate.md has no field-by-field section")
	table, _, _ = strings.Cut(table, "\n## ")
	var out []mapping
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| `libvirt_") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		require.GreaterOrEqual(t, len(cells), 5, "docs/migrate.md: %q", line)
		code := func(i int) string {
			m := mdCode.FindStringSubmatch(cells[i])
			if m == nil {
				return ""
			}
			return m[1]
		}
		out = append(out, mapping{theirs: code(0), field: code(1), ours: code(2), oursKey: code(3),
			kind: strings.TrimSpace(cells[4])})
	}
	require.Greater(t, len(out), 50, "docs/migrate.md: too few rows")
	return out
}

// Their index tags that are ours by another name with the same value.
var sameIndexTag = map[string]string{"vcpu_id": "vcpu", "iothread_id": "iothread"}

// telegrafTest runs `telegraf --test` (one gather of every input, printed)
// on a config and parses what it printed.
func telegrafTest(t *testing.T, bin, conf string) []telegraf.Metric {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config", conf, "--test")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "telegraf --test --config %s:\n%s", conf, stderr.String())
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(l, "> "); ok {
			lines = append(lines, s)
		}
	}
	p := &influx.Parser{}
	require.NoError(t, p.Init())
	ms, err := p.Parse([]byte(strings.Join(lines, "\n") + "\n"))
	require.NoError(t, err)
	require.NotEmpty(t, ms, "telegraf --test printed no metrics:\n%s", stderr.String())
	return ms
}

// number is a field value as a float (booleans 1/0), or false for a string.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// matchOurs finds our metric for one of theirs: the same domain, their
// index tags that we keep (vcpu, iothread), and every field of theirs that
// we have as a tag (a disk's name as device, ...).
func matchOurs(theirs telegraf.Metric, rows []mapping, ours []telegraf.Metric) []telegraf.Metric {
	want := map[string]string{}
	want["domain"], _ = theirs.GetTag("domain_name")
	for tag, our := range sameIndexTag {
		if v, ok := theirs.GetTag(tag); ok {
			want[our] = v
		}
	}
	for _, r := range rows {
		if r.kind == "tag" {
			if v, ok := theirs.GetField(r.field); ok {
				want[r.oursKey] = fmt.Sprint(v)
			}
		}
	}
	var out []telegraf.Metric
	for _, m := range ours {
		if m.Name() != rows[0].ours {
			continue
		}
		ok := true
		for k, v := range want {
			if got, has := m.GetTag(k); !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// Both plugins on the lab's guests (and a guest that reads its disk):
// ours gathers, then inputs.libvirt, then ours again, each a
// `telegraf --test` of Telegraf with both compiled in. Every field
// inputs.libvirt wrote must be in docs/migrate.md's table, and every
// mapped value must agree with ours: a counter between our two gathers, a
// constant equal to both, a gauge within 10 % of their span.
func TestMigrationTableAgrees(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-libvirt-both", "telegraf-both")
	guest := bootguest.Start(t)
	uri := lab.HostROURI()
	dir := t.TempDir()
	oursConf := filepath.Join(dir, "ours.conf")
	theirsConf := filepath.Join(dir, "theirs.conf")
	require.NoError(t, os.WriteFile(oursConf, fmt.Appendf(nil, "[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n  layout = \"device\"\n  ## as inputs.libvirt: wait for a busy domain job rather than skip its groups\n  nowait = false\n", uri), 0o600))
	// inputs.libvirt takes the socket path as written: not URL-escaped.
	theirsURI := "qemu+unix:///system?socket=" + lab.Socket(lab.Host, true)
	require.NoError(t, os.WriteFile(theirsConf, fmt.Appendf(nil, "[[inputs.libvirt]]\n  libvirt_uri = %q\n", theirsURI), 0o600))

	// The lab's own guests and ours: not the transient guests other tests
	// create and destroy meanwhile.
	out, err := exec.Command("virsh", "-c", lab.HostROURI(), "list", "--all", "--persistent", "--name").CombinedOutput()
	require.NoError(t, err, "%s", out)
	stable := map[string]bool{guest.Name: true}
	for _, name := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		stable[name] = true
	}

	before := telegrafTest(t, tg, oursConf)
	theirs := telegrafTest(t, tg, theirsConf)
	after := telegrafTest(t, tg, oursConf)

	rows := parseMigration(t)
	byMeasurement := map[string][]mapping{}
	for _, r := range rows {
		byMeasurement[r.theirs] = append(byMeasurement[r.theirs], r)
	}
	checked := map[string]int{}
	domains := map[string]bool{}
	for _, m := range theirs {
		ms, ok := byMeasurement[m.Name()]
		require.True(t, ok, "inputs.libvirt wrote %s, which docs/migrate.md does not map", m.Name())
		fields := map[string]mapping{}
		for _, r := range ms {
			fields[r.field] = r
		}
		for _, f := range m.FieldList() {
			_, ok := fields[f.Key]
			require.True(t, ok, "inputs.libvirt wrote %s.%s, which docs/migrate.md does not map", m.Name(), f.Key)
		}
		if ms[0].ours == "" {
			continue // nothing of ours to compare with (kind none)
		}
		d, _ := m.GetTag("domain_name")
		if !stable[d] {
			continue
		}
		domains[d] = true
		b, a := matchOurs(m, ms, before), matchOurs(m, ms, after)
		require.Len(t, b, 1, "our %s for inputs.libvirt's %s (gather before)", ms[0].ours, m)
		require.Len(t, a, 1, "our %s for inputs.libvirt's %s (gather after)", ms[0].ours, m)
		if b[0].HasField("partial") || a[0].HasField("partial") {
			t.Logf("%s: partial in one of our gathers, not compared", d)
			continue
		}
		for _, f := range m.FieldList() {
			r := fields[f.Key]
			if r.kind == "tag" || r.kind == "none" {
				checked[r.kind]++
				continue
			}
			v1, ok1 := b[0].GetField(r.oursKey)
			v2, ok2 := a[0].GetField(r.oursKey)
			require.True(t, ok1 && ok2, "%s %s: inputs.libvirt has %s, ours has no %s (before: %v, after: %v)", d, m.Name(), f.Key, r.oursKey, b[0], a[0])
			compareMapped(t, fmt.Sprintf("%s %s.%s = our %s.%s", d, m.Name(), f.Key, r.ours, r.oursKey), r.kind, f.Value, v1, v2)
			checked[r.kind]++
		}
	}
	require.True(t, domains[guest.Name], "inputs.libvirt did not report %s", guest.Name)
	require.Positive(t, checked["counter"])
	require.Positive(t, checked["constant"])
	t.Logf("values compared, by kind: %v; domains: %v", checked, sortedKeys(domains))
	var unseen []string
	seen := map[string]bool{}
	for _, m := range theirs {
		for _, f := range m.FieldList() {
			seen[m.Name()+"."+f.Key] = true
		}
	}
	for _, r := range rows {
		if !seen[r.theirs+"."+r.field] {
			unseen = append(unseen, r.theirs+"."+r.field)
		}
	}
	sort.Strings(unseen)
	t.Logf("rows the lab's guests do not exercise (%d): %v", len(unseen), unseen)
}

// compareMapped holds inputs.libvirt's value to ours before and after.
func compareMapped(t *testing.T, what, kind string, theirs, before, after any) {
	t.Helper()
	v, okv := number(theirs)
	lo, ok1 := number(before)
	hi, ok2 := number(after)
	if !okv || !ok1 || !ok2 {
		require.Equal(t, "constant", kind, "%s: a string must be a constant", what)
		require.Equal(t, fmt.Sprint(before), fmt.Sprint(theirs), what)
		require.Equal(t, fmt.Sprint(after), fmt.Sprint(theirs), what)
		return
	}
	switch kind {
	case "constant":
		require.True(t, v == lo && v == hi, "%s: theirs %v, ours %v then %v", what, v, lo, hi)
	case "counter":
		require.True(t, lo <= v && v <= hi, "%s: theirs %v not between ours %v and %v", what, v, lo, hi)
	case "gauge":
		lo, hi = math.Min(lo, hi), math.Max(lo, hi)
		margin := 0.1 * math.Max(math.Abs(hi), 1)
		require.True(t, lo-margin <= v && v <= hi+margin, "%s: theirs %v not within 10 %% of ours %v..%v", what, v, lo, hi)
	default:
		t.Fatalf("%s: unknown kind %q", what, kind)
	}
}

// Telegraf with both plugins writes to InfluxDB and serves Prometheus:
// every query of docs/migrate.md's "usual queries" returns data, the
// inputs.libvirt one and the one that replaces it.
func TestMigrationQueries(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-libvirt-both", "telegraf-both")
	db := needInfluxDB(t)
	bootguest.Start(t)
	database := uniqueDatabase("migrate")
	conf := filepath.Join(t.TempDir(), "telegraf.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `[agent]
  interval = "2s"
  flush_interval = "1s"

[[inputs.libvirt]]
  libvirt_uri = %[5]q

[[inputs.libvirt_stats]]
  libvirt_uri = %[1]q
  layout = "device"
  derived = true

[[outputs.influxdb]]
  urls = [%[2]q]
  database = %[3]q

[[outputs.prometheus_client]]
  listen = %[4]q
  metric_version = 2
  string_as_label = false
`, lab.HostROURI(), db.url(), database, promClientAddr, "qemu+unix:///system?socket="+lab.Socket(lab.Host, true)), 0o600))
	proc := startTelegraf(t, tg, conf)
	prom := startPrometheus(t, promClientAddr)
	time.Sleep(30 * time.Second)
	require.True(t, proc.running(), "Telegraf exited: %v", proc.err)

	recipes := parseCookbook(t, filepath.Join(repoRoot, "docs", "migrate.md"))
	require.Greater(t, len(recipes), 20)
	for _, r := range recipes {
		t.Run(r.lang+"/"+r.name, func(t *testing.T) {
			vals := r.values(t, prom, db, database)
			require.NotEmpty(t, vals, "%s returned nothing:\n%s", r.name, r.query)
			t.Logf("%d values", len(vals))
		})
	}
}
