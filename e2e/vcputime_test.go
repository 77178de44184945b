//go:build qemu

package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// The device layout's per-vCPU time reaches InfluxDB 1.x: Telegraf with
// the plugin compiled in gathers the lab's running guests in the device
// layout into a real influxd, and every vCPU of every guest has time_ns
// there, never decreasing, at most what virsh reads after Telegraf
// stopped. A field named time, as the layout once wrote it, is what
// InfluxDB drops: shown first on the same influxd.
func TestDeviceLayoutVCPUTimeInInfluxDB(t *testing.T) {
	tg := needBinary(t, "bin/telegraf-libvirt-stats", "telegraf")
	db := needInfluxDB(t)
	database := uniqueDatabase("vcputime")

	t.Run("InfluxDB drops a field named time", func(t *testing.T) {
		drop := database + "_drop"
		db.mustQuery(t, drop, "CREATE DATABASE "+quoteIdent(drop))
		line := "libvirt_stats_vcpu,domain=old,vcpu=0 state=1i,time=27060000000i,wait=0i 1700000000000000000\n"
		resp, err := http.Post(db.url()+"/write?db="+drop, "text/plain", strings.NewReader(line))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode, "write of %q", line)
		ss := db.mustQuery(t, drop, `SHOW FIELD KEYS FROM "libvirt_stats_vcpu"`)
		require.ElementsMatch(t, []string{"state", "wait"}, column(t, ss, "fieldKey"))
	})

	conf := filepath.Join(t.TempDir(), "telegraf.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `[agent]
  interval = "2s"
  flush_interval = "1s"

[[inputs.libvirt_stats]]
  libvirt_uri = %q
  domains = ["tlv-run*"]
  domain_states = ["running"]
  layout = "device"

[[outputs.influxdb]]
  urls = [%q]
  database = %q
`, lab.HostURI(), db.url(), database), 0o600))
	proc := startTelegraf(t, tg, conf)

	// vCPUs per running guest, from the domain metric.
	vcpus := func() map[string]int64 {
		out := map[string]int64{}
		for _, s := range db.mustQuery(t, database, `SELECT last("vcpu.current") FROM "libvirt_stats" GROUP BY "domain"`) {
			out[s.Tags["domain"]] = jsonInt(t, s.Values[0][1])
		}
		return out
	}
	// points of time_ns per domain and vCPU
	counts := func() map[string]int64 {
		out := map[string]int64{}
		for _, s := range db.mustQuery(t, database, `SELECT count("time_ns") FROM "libvirt_stats_vcpu" GROUP BY "domain", "vcpu"`) {
			out[s.Tags["domain"]+"/"+s.Tags["vcpu"]] = jsonInt(t, s.Values[0][1])
		}
		return out
	}
	waitFor(t, proc, 60*time.Second, func() bool {
		n, c := vcpus(), counts()
		if len(n) == 0 {
			return false
		}
		for d, k := range n {
			for i := range k {
				if c[fmt.Sprintf("%s/%d", d, i)] < gathers {
					return false
				}
			}
		}
		return true
	})
	proc.stop(t)
	require.Empty(t, proc.errorLines(), "Telegraf logged errors")

	ss := db.mustQuery(t, database, `SHOW FIELD KEYS FROM "libvirt_stats_vcpu"`)
	keys := column(t, ss, "fieldKey")
	require.Contains(t, keys, "time_ns")
	require.NotContains(t, keys, "time")

	n := vcpus()
	t.Logf("running guests and their vCPUs: %v", n)
	grew := 0
	for _, s := range db.mustQuery(t, database, `SELECT "time_ns" FROM "libvirt_stats_vcpu" GROUP BY "domain", "vcpu"`) {
		d, v := s.Tags["domain"], s.Tags["vcpu"]
		if _, ok := n[d]; !ok {
			continue
		}
		var vals []int64
		for _, row := range s.Values {
			vals = append(vals, jsonInt(t, row[1]))
		}
		require.GreaterOrEqual(t, len(vals), gathers, "%s vCPU %s", d, v)
		for i := 1; i < len(vals); i++ {
			require.GreaterOrEqual(t, vals[i], vals[i-1], "time_ns of %s vCPU %s went back: %v", d, v, vals)
		}
		if vals[len(vals)-1] > vals[0] {
			grew++
		}
		// libvirt's vcpu.N.time, read after the last gather, is not below it.
		out, err := exec.Command("virsh", "-c", lab.HostROURI(), "domstats", "--vcpu", d).CombinedOutput()
		require.NoError(t, err, "%s", out)
		m := regexp.MustCompile(`(?m)^\s*vcpu\.` + regexp.QuoteMeta(v) + `\.time=(\d+)$`).FindSubmatch(out)
		require.NotNil(t, m, "virsh domstats --vcpu %s has no vcpu.%s.time:\n%s", d, v, out)
		virsh, err := strconv.ParseInt(string(m[1]), 10, 64)
		require.NoError(t, err)
		require.GreaterOrEqual(t, virsh, vals[len(vals)-1], "%s vCPU %s: virsh's vcpu.%s.time", d, v, v)
	}
	require.Positive(t, grew, "no running guest's vCPU time grew over %d gathers", gathers)
	for d, k := range n {
		c := counts()
		for i := range k {
			require.GreaterOrEqual(t, c[fmt.Sprintf("%s/%d", d, i)], int64(gathers), "time_ns points of %s vCPU %d", d, i)
		}
	}
}
