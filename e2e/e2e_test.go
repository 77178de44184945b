//go:build qemu

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const measurement = "libvirt_stats"

// gathers is how many points every domain must have before Telegraf is
// stopped: a few intervals of 2 s.
const gathers = 3

// Stock Telegraf -> inputs.execd -> bin/telegraf-libvirt -> InfluxDB,
// configured by examples/telegraf.conf and examples/libvirt_stats.conf.
func TestExecdToInfluxDB(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-stock", "telegraf-stock")
	plugin := needBinary(t, "bin/telegraf-libvirt", "build")
	db := needInfluxDB(t)
	pluginConf := filepath.Join(repoRoot, "examples", "libvirt_stats.conf")
	database := uniqueDatabase("execd")
	conf := deriveConfig(t, "telegraf.conf", append([]edit{
		{"/usr/local/bin/telegraf-libvirt", plugin},
		{"/etc/telegraf/libvirt_stats.conf", pluginConf},
	}, agentAndOutputEdits(db, database)...))
	runAndCheck(t, tg, conf, plugin, pluginConf, db, database)
}

// Telegraf built with inputs.libvirt_stats compiled in (make telegraf) ->
// InfluxDB, configured by examples/telegraf-compiled.conf.
func TestCompiledInToInfluxDB(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-libvirt-stats", "telegraf")
	plugin := needBinary(t, "bin/telegraf-libvirt", "build")
	db := needInfluxDB(t)
	out, err := exec.Command(tg, "plugins", "inputs").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, strings.Fields(string(out)), "inputs.libvirt_stats", "%s does not list the plugin", tg)

	database := uniqueDatabase("compiled")
	conf := deriveConfig(t, "telegraf-compiled.conf", agentAndOutputEdits(db, database))
	// The plugin's table of telegraf-compiled.conf is examples/libvirt_stats.conf's,
	// so -once with the latter gathers with the same config.
	runAndCheck(t, tg, conf, plugin, filepath.Join(repoRoot, "examples", "libvirt_stats.conf"), db, database)
}

// runAndCheck runs Telegraf until every domain has a few points in
// InfluxDB, stops it, and compares what InfluxDB holds with the plugin's
// own output for the same domains.
func runAndCheck(t *testing.T, tgBin, conf, plugin, pluginConf string, db *influxDB, database string) {
	before := pluginOnce(t, plugin, pluginConf)
	pre := expect(t, before)
	require.Subset(t, pre.domains(), testDomains(t),
		"the plugin does not see every QEMU test domain: is the lab up (make lab)?")

	tg := startTelegraf(t, tgBin, conf)
	waitForPoints(t, tg, db, database, measurement, pre.domains(), gathers, 60*time.Second)
	tg.stop(t)
	require.Empty(t, tg.errorLines(), "Telegraf logged errors")

	want := expect(t, before, pluginOnce(t, plugin, pluginConf))

	t.Run("domain and uuid tags arrive exactly", func(t *testing.T) {
		ss := db.mustQuery(t, database, `SHOW TAG VALUES FROM "libvirt_stats" WITH KEY = "domain"`)
		require.ElementsMatch(t, want.domains(), column(t, ss, "value"))
		ss = db.mustQuery(t, database, `SHOW TAG KEYS FROM "libvirt_stats"`)
		require.ElementsMatch(t, []string{"domain", "host", "uuid"}, column(t, ss, "tagKey"),
			"tags: the plugin's domain and uuid, Telegraf's host")
		got := map[string]string{}
		counts := map[string]int64{}
		for _, s := range db.mustQuery(t, database, `SELECT count("state.state") FROM "libvirt_stats" GROUP BY "domain", "uuid"`) {
			d := s.Tags["domain"]
			_, dup := got[d]
			require.False(t, dup, "domain %q has two uuids", d)
			got[d] = s.Tags["uuid"]
			counts[d] = jsonInt(t, s.Values[0][1])
		}
		require.Equal(t, want.uuid, got)
		for d, n := range counts {
			require.GreaterOrEqual(t, n, int64(gathers), "points of %q", d)
		}
	})

	t.Run("field keys and types are the plugin's", func(t *testing.T) {
		got := map[string]string{}
		ss := db.mustQuery(t, database, `SHOW FIELD KEYS FROM "libvirt_stats"`)
		require.Len(t, ss, 1)
		k, typ := index(t, ss[0], "fieldKey"), index(t, ss[0], "fieldType")
		for _, row := range ss[0].Values {
			got[fmt.Sprint(row[k])] = fmt.Sprint(row[typ])
		}
		// A domain whose job lock was busy at one gather (NOWAIT) carries
		// the plugin's partial marker in that gather only; the snapshots
		// may not have caught one.
		for key, typ := range map[string]string{"partial": "boolean", "partial_groups": "string"} {
			if _, snapshot := want.fieldTypes[key]; !snapshot && got[key] != "" {
				require.Equal(t, typ, got[key], "type of %s", key)
				delete(got, key)
			}
		}
		require.Equal(t, want.fieldTypes, got)
	})

	t.Run("string fields arrive exactly", func(t *testing.T) {
		for d, fields := range want.strings {
			if len(fields) == 0 {
				continue
			}
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			// LAST of each field: a gather in which the domain came back
			// partial (NOWAIT) lacks its monitor's strings.
			sel := make([]string, len(keys))
			for i, k := range keys {
				sel[i] = "LAST(" + quoteIdent(k) + ")"
			}
			q := fmt.Sprintf(`SELECT %s FROM "libvirt_stats" WHERE "domain" = %s`,
				strings.Join(sel, ", "), quoteString(d))
			ss := db.mustQuery(t, database, q)
			require.Len(t, ss, 1, "domain %q: %s", d, q)
			require.Len(t, ss[0].Values, 1, "domain %q: %s", d, q)
			got := map[string]string{}
			for i, k := range keys {
				got[k] = fmt.Sprint(ss[0].Values[0][i+1])
			}
			require.Equal(t, fields, got, "domain %q", d)
		}
	})

	t.Run("cpu.time grows on running domains", func(t *testing.T) {
		ss := db.mustQuery(t, database, `SELECT "cpu.time" FROM "libvirt_stats" GROUP BY "domain"`)
		seen := 0
		for _, s := range ss {
			d := s.Tags["domain"]
			if !want.running[d] {
				continue
			}
			seen++
			var vals []int64
			for _, row := range s.Values {
				if row[1] != nil {
					vals = append(vals, jsonInt(t, row[1]))
				}
			}
			require.GreaterOrEqual(t, len(vals), 2, "cpu.time points of %q", d)
			for i := 1; i < len(vals); i++ {
				require.GreaterOrEqual(t, vals[i], vals[i-1], "cpu.time of %q went back: %v", d, vals)
			}
			require.Greater(t, vals[len(vals)-1], vals[0], "cpu.time of %q did not grow: %v", d, vals)
		}
		require.Equal(t, len(want.running), seen, "running domains with cpu.time: want %v", want.running)
		require.NotZero(t, seen, "no running domain")
	})
}

// A line longer than inputs.execd's buffer_size (64 KiB by default), as a
// domain with many disks and interfaces prints, arrives whole: with
// data_format = "influx" execd reads with a streaming parser whose buffer
// grows. This is what docs/telegraf.md ("Domains with many devices: execd buffer_size") promises.
func TestExecdLongLine(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-stock", "telegraf-stock")
	db := needInfluxDB(t)
	const fields = 8000 // ~280 KB per line, well over 64 KiB

	dir := t.TempDir()
	var b strings.Builder
	b.WriteString(`libvirt_stats,domain=big\ one,uuid=00000000-0000-4000-8000-000000000001 `)
	for i := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "block.%d.rd.bytes=%di", i, 1<<40+i)
	}
	b.WriteByte('\n')
	require.Greater(t, b.Len(), 3*64*1024)
	line := filepath.Join(dir, "line.lp")
	require.NoError(t, os.WriteFile(line, []byte(b.String()), 0o600))
	// A stand-in for telegraf-libvirt -poll_interval_disabled: one line per newline on stdin.
	gen := filepath.Join(dir, "gen.sh")
	require.NoError(t, os.WriteFile(gen, []byte("#!/bin/sh\nwhile read -r _; do cat \"$1\"; done\n"), 0o700))

	database := uniqueDatabase("longline")
	conf := deriveConfig(t, "telegraf.conf", append([]edit{
		{`"/usr/local/bin/telegraf-libvirt", "-poll_interval_disabled", "-config", "/etc/telegraf/libvirt_stats.conf"`,
			fmt.Sprintf("%q, %q", gen, line)},
	}, agentAndOutputEdits(db, database)...))
	p := startTelegraf(t, tg, conf)
	waitFor(t, p, 60*time.Second, func() bool {
		ss, err := db.query(database, `SELECT count("block.7999.rd.bytes") FROM "libvirt_stats"`)
		require.NoError(t, err)
		return len(ss) == 1 && jsonInt(t, ss[0].Values[0][1]) >= 2
	})
	p.stop(t)
	require.Empty(t, p.errorLines(), "Telegraf logged errors")
	ss := db.mustQuery(t, database, `SHOW FIELD KEYS FROM "libvirt_stats"`)
	require.Len(t, column(t, ss, "fieldKey"), fields)
	ss = db.mustQuery(t, database, `SHOW TAG VALUES FROM "libvirt_stats" WITH KEY = "domain"`)
	require.Equal(t, []string{"big one"}, column(t, ss, "value"))
}

func waitFor(t *testing.T, tg *telegrafProc, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if !tg.running() {
			t.Fatalf("Telegraf exited: %v", tg.err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func uniqueDatabase(name string) string {
	return fmt.Sprintf("tlv_e2e_%s_%d", name, time.Now().UnixNano())
}

// quoteString quotes an InfluxQL string literal.
func quoteString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'`
}

func jsonInt(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	require.True(t, ok, "%v (%T) is not a JSON number", v, v)
	i, err := n.Int64()
	require.NoError(t, err, "%v is not an integer", v)
	return i
}
