//go:build cgo && linux

package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/agent"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/influxdata/telegraf/testutil"
)

// BenchmarkExecdGather: what a gather costs the binary beyond the plugin's
// Gather. "gather" is the plugin's Gather with its metrics dropped;
// "encoder" is this binary's path (RunningInput, encoder, one write to
// /dev/null); "shim" is the path it replaces (Telegraf's accumulator, a
// channel, the influx serializer and one fmt.Fprint per metric, as
// plugins/common/shim). cpu-ns/op is the process's user+system CPU (every
// thread, libvirt's included) per gather.
//
//	TLV_BENCH_URI=qemu:///system go test -run '^$' -bench ExecdGather -count 10 ./cmd/telegraf-libvirt
//
// Default URI: the in-process test driver with testdata/node-120.xml.
func BenchmarkExecdGather(b *testing.B) {
	uri := os.Getenv("TLV_BENCH_URI")
	if uri == "" {
		uri = nodeURI(b)
	}
	ri := initInput(b, fmt.Sprintf("[[inputs.libvirt_stats]]\n  libvirt_uri = %q\n", uri))
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devNull.Close()

	b.Run("gather", func(b *testing.B) {
		acc := &testutil.NopAccumulator{}
		measure(b, func() {
			if err := ri.Input.Gather(acc); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("encoder", func(b *testing.B) {
		acc := newLineAccumulator(ri, false)
		measure(b, func() {
			if errs, err := acc.gather(devNull); errs > 0 || err != nil {
				b.Fatal(errs, err)
			}
		})
		b.ReportMetric(float64(len(acc.enc.Bytes())), "bytes/gather")
	})
	b.Run("shim", func(b *testing.B) {
		ser := &influx.Serializer{}
		if err := ser.Init(); err != nil {
			b.Fatal(err)
		}
		measure(b, func() {
			ch := make(chan telegraf.Metric, 1)
			var wg sync.WaitGroup
			wg.Go(func() {
				for m := range ch {
					out, err := ser.Serialize(m)
					if err != nil {
						b.Error(err)
						continue
					}
					if _, err := fmt.Fprint(devNull, string(out)); err != nil {
						b.Error(err)
					}
					m.Accept()
				}
			})
			acc := agent.NewAccumulator(ri, ch)
			acc.SetPrecision(time.Nanosecond)
			if err := ri.Gather(acc); err != nil {
				b.Error(err)
			}
			close(ch)
			wg.Wait()
		})
	})
}

// measure runs f b.N times and reports the process's CPU per run.
func measure(b *testing.B, f func()) {
	f() // warm: connection open, buffers grown
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		f()
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
