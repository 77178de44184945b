package libvirt_stats

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// Numbers the docs quote from elsewhere in the repository: each must be
// what its source says, so a new benchmark run or a changed Makefile that
// is not carried into the docs fails here.
func TestDocsQuoteTheirSources(t *testing.T) {
	read := func(path string) string {
		b, err := os.ReadFile("../../../" + path)
		require.NoError(t, err)
		return string(b)
	}
	find := func(text, expr, where string) string {
		m := regexp.MustCompile(expr).FindStringSubmatch(text)
		require.NotNil(t, m, "%s: no %s", where, expr)
		return m[1]
	}

	// The fuzz run length: the Makefile's FUZZTIME, in failure-modes.md.
	runs := find(read("Makefile"), `(?m)^FUZZTIME \?= ([0-9]+)x$`, "Makefile")
	modes := read("docs/failure-modes.md")
	require.Equal(t, runs, find(modes, `([0-9]+) runs each`, "docs/failure-modes.md"))
	require.Equal(t, runs, find(modes, "`FUZZTIME \\?= ([0-9]+)x`", "docs/failure-modes.md"))

	// The device layout's cost: BENCHMARKS.md's measured ratio and times,
	// in layout.md.
	bench := find(read("BENCHMARKS.md"), `(?m)^\| device layout shaping ÷ domain layout[^|]*\| [^|]* \| ([0-9.]+ \([0-9.]+ ÷ [0-9.]+) ms`, "BENCHMARKS.md")
	ratio := regexp.MustCompile(`^([0-9.]+) \(([0-9.]+) ÷ ([0-9.]+)$`).FindStringSubmatch(bench)
	layout := read("docs/layout.md")
	require.Equal(t, ratio[1], find(layout, `takes ([0-9.]+) times as long as in the domain`, "docs/layout.md"))
	require.Equal(t, ratio[2]+" ÷ "+ratio[3], find(layout, "`BenchmarkShape`: ([0-9.]+ ÷ [0-9.]+) ms", "docs/layout.md"))
}
