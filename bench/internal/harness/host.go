package harness

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPUStat is the aggregate line of /proc/stat, in ticks.
type CPUStat struct{ total, idle uint64 }

// ReadCPUStat reads /proc/stat's aggregate cpu line.
func ReadCPUStat() (CPUStat, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return CPUStat{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[0] != "cpu" {
			continue
		}
		var s CPUStat
		for i, v := range fields[1:] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return CPUStat{}, err
			}
			if i >= 8 { // guest and guest_nice are already in user and nice
				break
			}
			s.total += n
			if i == 3 || i == 4 { // idle, iowait
				s.idle += n
			}
		}
		return s, nil
	}
	return CPUStat{}, errors.New("no cpu line in /proc/stat")
}

// IdleSince is the percentage of CPU time (all CPUs) idle since prev.
func (s CPUStat) IdleSince(prev CPUStat) float64 {
	if s.total == prev.total {
		return 100
	}
	return 100 * float64(s.idle-prev.idle) / float64(s.total-prev.total)
}

// HostIdle measures the host's idle CPU over d.
func HostIdle(d time.Duration) (float64, error) {
	a, err := ReadCPUStat()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	b, err := ReadCPUStat()
	if err != nil {
		return 0, err
	}
	return b.IdleSince(a), nil
}
