//go:build qemu

package bootguest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The guest reads its disk at the timer's pace: over 5 s, up to 18.2
// reads a second, fewer on a busy host.
func TestGuestReadsAtTimerPace(t *testing.T) {
	g := Start(t)
	n0, err := g.Reads()
	require.NoError(t, err)
	start := time.Now()
	time.Sleep(5 * time.Second)
	n1, err := g.Reads()
	require.NoError(t, err)
	rate := float64(n1-n0) / time.Since(start).Seconds()
	t.Logf("%s: %.1f reads/s (timer: %.1f)", g.Name, rate, ReadsPerSecond)
	RequirePace(t, rate)
}
