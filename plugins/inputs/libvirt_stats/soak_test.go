//go:build cgo && linux

package libvirt_stats

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/nodexml"
)

func heapBytes() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Thousands of gathers over 500 test-driver domains: the Go heap and the
// RSS (where leaked libvirt records or domain references would show) stay
// flat. Bounds: heap +2 MiB, RSS +8 MiB between gather 300 and gather 3000.
// One gather allocates ~1 MiB, so a leak of a record list, its domain
// references or the converted records would pass either bound in a few
// hundred gathers.
func TestSoakMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("6000 gathers: run without -short (make test does)")
	}
	node := nodexml.File(t, 500)

	for _, filtered := range []bool{false, true} {
		t.Run("filtered="+strconv.FormatBool(filtered), func(t *testing.T) {
			p := newPlugin(t, "test://"+node)
			if filtered {
				p.DomainsExclude = []string{"node-00[0-4]?"}
			}
			require.NoError(t, p.Init())
			defer p.Stop()
			run := func(n int) {
				for range n {
					var acc testutil.Accumulator
					require.NoError(t, p.Gather(&acc))
					require.Empty(t, acc.Errors)
					if len(acc.Metrics) == 0 {
						t.Fatal("no metrics")
					}
				}
			}
			run(300)
			heap0, rss0 := heapBytes(), rssKiB(t)
			run(2700)
			heap1, rss1 := heapBytes(), rssKiB(t)
			t.Logf("after 300 gathers: heap %d KiB, RSS %d KiB; after 3000: heap %d KiB, RSS %d KiB",
				heap0/1024, rss0, heap1/1024, rss1)
			require.Less(t, int64(heap1)-int64(heap0), int64(2<<20), "Go heap grew")
			require.Less(t, rss1-rss0, 8<<10, "RSS grew")
		})
	}
}
