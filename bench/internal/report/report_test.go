package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/report/*.golden.md from the current code")

// goldenHost stands for the machine: the report reads it when written, and
// fixed here the report is a function of the recorded results alone.
var goldenHost = host{
	// The machine of the recorded run, as BENCHMARKS.md names it.
	machine: [][2]string{
		{"CPU", "AMD EPYC, 2 cores"},
		{"memory", "23.5 GiB"},
		{"OS, kernel", "Debian GNU/Linux 12 (bookworm), Linux 6.18.44-fc-v1252"},
		{"libvirt: compiled against library", "libvirt 9.0.0"},
		{"libvirt: using library", "libvirt 9.0.0"},
		{"libvirt: using api", "QEMU 9.0.0"},
		{"libvirt: running hypervisor", "QEMU 7.2.22"},
		{"libvirt: running against daemon", "9.0.0"},
		{"QEMU", "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"},
		{"Go", "go1.26.8"},
		{"github.com/digitalocean/go-libvirt", "v0.0.0-20250417173424-a6a66ef779d6"},
		{"github.com/influxdata/telegraf", "v1.39.3"},
		{"libvirt.org/go/libvirt", "v1.11010.0"},
	},
	cpu:      "AMD EPYC, 2 cores",
	libvirt:  "9.0.0",
	qemu:     "7.2.22",
	telegraf: "v1.39.3",
	describe: "v0.0.0-test-dirty",
}

// The report of the run recorded in testdata/results (the one BENCHMARKS.md
// was written from) is what the golden files hold: they were written by
// the Printf code before the report moved to templates. Without agent.json
// (a run from before section 5) and without a recorded revision too.
func TestReportGolden(t *testing.T) {
	for _, tc := range []struct {
		name         string
		dropAgent    bool
		dropRevision bool
		hostCost     bool
	}{
		{name: "full"},
		// With the host-cost scenario's results of a run on the lab's
		// guests and a transport benchmark's (testdata/hostcost).
		{name: "hostcost", hostCost: true},
		{name: "noagent", dropAgent: true, dropRevision: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := loadResults(filepath.Join("testdata", "results"))
			require.NoError(t, err)
			require.NotNil(t, res.agent)
			if tc.dropAgent {
				res.agent = nil
			}
			if tc.hostCost {
				res.host, res.hostGroups = &results.HostResult{}, &results.HostResult{}
				require.NoError(t, loadJSON(filepath.Join("testdata", "hostcost", "hostcost.json"), res.host))
				require.NoError(t, loadJSON(filepath.Join("testdata", "hostcost", "hostcost-groups.json"), res.hostGroups))
				// and BenchmarkTransport's output of the same day.
				tr, err := parseGoBench(filepath.Join("testdata", "hostcost", "transports.txt"))
				require.NoError(t, err)
				res.transports = transportTables(tr)
				require.Len(t, res.transports, 3)
			}
			if tc.dropRevision {
				res.q30.Revision = ""
			}
			benchmarks, performance, err := renderReport(res, goldenHost, "make bench")
			require.NoError(t, err)
			compareGolden(t, filepath.Join("testdata", "report", tc.name+"-BENCHMARKS.golden.md"), benchmarks)
			compareGolden(t, filepath.Join("testdata", "report", tc.name+"-performance.golden.md"), performance)
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), got, "%s differs (go test -run TestReportGolden -update rewrites it)", path)
}

// A log line between a benchmark's name and its numbers (the plugin logs at
// Init) does not lose the run.
func TestParseGoBenchLogLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gobench.txt")
	txt := "BenchmarkA-2   \t       2\t 500 ns/op\t  10 allocs/op\n" +
		"BenchmarkA-2   \t2026-12-03T19:00:29Z I! [] telegraf-libvirt 0.1.0, libvirt_uri \"test:///x\"\n" +
		"      54\t  300 ns/op\t  12 allocs/op\n" +
		"PASS\n"
	if err := os.WriteFile(path, []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	gb, err := parseGoBench(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := gb["BenchmarkA"]["ns/op"]; d.N != 2 || d.Min != 300 || d.Max != 500 {
		t.Fatalf("ns/op: %+v", d)
	}
}
