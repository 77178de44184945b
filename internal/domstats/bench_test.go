//go:build cgo && linux

package domstats_test

import (
	"testing"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
)

// The conversion alone on synthetic records shaped like a busy host's:
// 1000 domains × 150 typed parameters, built in C with libvirt's own
// virTypedParamsAdd*. Reported per parameter, amortized over the gather.
const (
	benchDomains = 1000
	benchParams  = 150
)

func BenchmarkConvert(b *testing.B) {
	doms := make([]*domstatstest.CParams, benchDomains)
	for i := range doms {
		cp, err := domstatstest.BuildParams(domstatstest.SyntheticDomain(i, benchParams))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cp.Free)
		doms[i] = cp
	}
	c := domstats.NewConverter()
	for _, cp := range doms { // a steady state: keys already interned
		c.Convert(cp)
	}
	domstatstest.PerParam(b, benchDomains*benchParams, func() {
		for _, cp := range doms {
			c.Convert(cp)
		}
	})
}
