package report

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

// parseGoBench reads `go test -bench` output: per benchmark, per unit, the
// spread over the runs.
func parseGoBench(path string) (map[string]map[string]results.Dist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vals := map[string]map[string][]float64{}
	sc := bufio.NewScanner(f)
	pending := "" // a benchmark whose numbers come on the next line
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// The plugin's log line at Init can land between a benchmark's
		// name and its numbers: "BenchmarkX-2 <log line>", then
		// "N  123 ns/op ...".
		if len(fields) >= 3 && pending != "" {
			if _, err := strconv.Atoi(fields[0]); err == nil {
				fields = append([]string{pending}, fields...)
			}
		}
		pending = ""
		if len(fields) >= 2 && strings.HasPrefix(fields[0], "Benchmark") {
			if _, err := strconv.Atoi(fields[1]); err != nil {
				pending = fields[0]
				continue
			}
		}
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		if vals[name] == nil {
			vals[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			vals[name][fields[i+1]] = append(vals[name][fields[i+1]], v)
		}
	}
	out := map[string]map[string]results.Dist{}
	for name, units := range vals {
		out[name] = map[string]results.Dist{}
		for unit, vs := range units {
			out[name][unit] = results.DistOf(vs)
		}
	}
	return out, sc.Err()
}
