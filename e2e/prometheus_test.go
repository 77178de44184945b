//go:build qemu

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// query runs an instant PromQL query through the HTTP API.
func (p *prometheus) query(q string) ([]promSample, error) {
	resp, err := http.Get("http://" + p.addr + "/api/v1/query?" + url.Values{"query": {q}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%s: HTTP %d, undecodable %q: %w", q, resp.StatusCode, body, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", q, r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: result type %s, want vector", q, r.Data.ResultType)
	}
	out := make([]promSample, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
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
