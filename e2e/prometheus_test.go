//go:build qemu

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// Loopback ports of the Prometheus test (this test's range: 18700-18799).
const (
	promClientAddr = "127.0.0.1:18710" // Telegraf's outputs.prometheus_client
	prometheusAddr = "127.0.0.1:18711" // the private prometheus
)

// prometheus is a private prometheus (Debian's package, scripts/prometheus.sh)
// scraping one target every second, its TSDB in a temporary directory.
type prometheus struct {
	addr string
}

// startPrometheus runs prometheus scraping target; it is killed at the
// test's cleanup. Its log is printed when the test fails.
func startPrometheus(t *testing.T, target string) *prometheus {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	require.NoError(t, err, "prometheus is not installed: run `make prometheus` (scripts/prometheus.sh install)")
	dir := lab.TestTempDir(t, "prometheus-")
	conf := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: telegraf
    static_configs:
      - targets: [%q]
`, target), 0o600))
	logPath := filepath.Join(dir, "prometheus.log")
	logf, err := os.Create(logPath)
	require.NoError(t, err)
	defer logf.Close()
	cmd := exec.Command(bin, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+prometheusAddr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("prometheus log:\n%s", b)
		}
	})
	p := &prometheus{addr: prometheusAddr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("prometheus exited at start:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus at %s not ready after 30 s", p.addr)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// promSample is one element of an instant vector.
type promSample struct {
	Labels map[string]string
	Value  float64
}

// api calls an endpoint of Prometheus's HTTP API and decodes the data of
// a successful answer into data.
func (p *prometheus) api(endpoint string, v url.Values, data any) error {
	body, err := httpGet("http://" + p.addr + "/api/v1/" + endpoint + "?" + v.Encode())
	if err != nil {
		return err
	}
	var r struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("undecodable answer %q: %w", body, err)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s", r.Status, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// sampleValue is the number of a [time, "value"] pair of the API.
func sampleValue(pair [2]any) (float64, error) {
	str, _ := pair[1].(string)
	return strconv.ParseFloat(str, 64)
}

// query runs an instant PromQL query through the HTTP API.
func (p *prometheus) query(q string) ([]promSample, error) {
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := p.api("query", url.Values{"query": {q}}, &data); err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: result type %s, want vector", q, data.ResultType)
	}
	out := make([]promSample, 0, len(data.Result))
	for _, s := range data.Result {
		v, err := sampleValue(s.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: value %v: %w", q, s.Value[1], err)
		}
		out = append(out, promSample{Labels: s.Metric, Value: v})
	}
	return out, nil
}

func (p *prometheus) mustQuery(t *testing.T, q string) []promSample {
	t.Helper()
	s, err := p.query(q)
	require.NoError(t, err)
	return s
}

// mustValues is the values of an instant query's samples.
func (p *prometheus) mustValues(t *testing.T, q string) []float64 {
	t.Helper()
	var vals []float64
	for _, s := range p.mustQuery(t, q) {
		vals = append(vals, s.Value)
	}
	return vals
}

// promStores is Telegraf (the telegraf-prom build with
// examples/telegraf-prometheus.conf) feeding both stores: a database of
// its own in the test InfluxDB, and a Prometheus that scrapes its
// prometheus_client.
type promStores struct {
	tg       string
	db       *influxDB
	database string
	prom     *prometheus
}

// needPromStores fails the test unless the telegraf-prom build and the
// test InfluxDB are there.
func needPromStores(t *testing.T) *promStores {
	t.Helper()
	return &promStores{tg: needBinary(t, "bin/telegraf-libvirt-prom", "telegraf-prom"), db: needInfluxDB(t)}
}

// gatherAroundFreeze starts Telegraf, its config changed by edits, and
// Prometheus, and lets them run for half, then half again with the guest
// frozen for 6 s in between (a partial domain for a while). It returns
// when Telegraf started.
func (s *promStores) gatherAroundFreeze(t *testing.T, name, guest string, half time.Duration, edits ...edit) time.Time {
	t.Helper()
	s.database = uniqueDatabase(name)
	edits = append([]edit{{`listen = ":9273"`, fmt.Sprintf("listen = %q", promClientAddr)}}, edits...)
	conf := deriveConfig(t, "telegraf-prometheus.conf", append(edits, agentAndOutputEdits(s.db, s.database)...))
	start := time.Now()
	proc := startTelegraf(t, s.tg, conf)
	s.prom = startPrometheus(t, promClientAddr)
	time.Sleep(half)
	freezeGuest(t, guest, 6*time.Second)
	time.Sleep(half)
	require.True(t, proc.running(), "Telegraf exited: %v", proc.err)
	return start
}

// promtoolCheck runs `promtool check metrics` on an exposition and
// returns its findings. promtool exits 1 when it cannot parse the
// exposition and 3 when it has lint findings (lines "NAME problem"),
// which are accepted and returned.
func promtoolCheck(t *testing.T, exposition []byte) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(string(exposition))
	out, err := cmd.CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "promtool: %s", out)
		require.Equal(t, 3, ee.ExitCode(), "promtool: %s", out)
	}
	var findings []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		require.NotContains(t, line, "error while linting", "promtool could not parse the exposition")
		name, problem, ok := strings.Cut(line, " ")
		require.True(t, ok && metricName.MatchString(name) && problem != "", "not a lint finding: %q", line)
		findings = append(findings, line)
	}
	return findings
}

var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// freezeGuest stops a guest's QEMU with SIGSTOP for d, then continues it:
// its monitor does not answer meanwhile, so the plugin's gathers (nowait)
// report it partial. Only the test's own boot-sector guest is frozen.
func freezeGuest(t *testing.T, name string, d time.Duration) {
	t.Helper()
	pid := lab.RequirePID(t, lab.DomainPIDFile(lab.Host, name))
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	defer func() { require.NoError(t, syscall.Kill(pid, syscall.SIGCONT)) }()
	time.Sleep(d)
}
