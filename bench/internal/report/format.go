package report

import (
	"fmt"
	"math"
	"strconv"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"
)

func fmtFloat(v float64, prec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// fmtDist is "median (min–max)".
func fmtDist(d results.Dist, prec int) string {
	if d.N == 0 || math.IsNaN(d.Median) {
		return "–"
	}
	return fmt.Sprintf("%s (%s–%s)", fmtFloat(d.Median, prec), fmtFloat(d.Min, prec), fmtFloat(d.Max, prec))
}

func fmtDistOpt(m map[string]results.Dist, unit string, prec int) string {
	d, ok := m[unit]
	if !ok {
		return "–"
	}
	return fmtDist(d, prec)
}
