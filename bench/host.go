package main

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuStat is the aggregate line of /proc/stat, in ticks.
type cpuStat struct{ total, idle uint64 }

func readCPUStat() (cpuStat, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuStat{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[0] != "cpu" {
			continue
		}
		var s cpuStat
		for i, v := range fields[1:] {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return cpuStat{}, err
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
	return cpuStat{}, errors.New("no cpu line in /proc/stat")
}

// idleSince is the percentage of CPU time (all CPUs) idle since prev.
func (s cpuStat) idleSince(prev cpuStat) float64 {
	if s.total == prev.total {
		return 100
	}
	return 100 * float64(s.idle-prev.idle) / float64(s.total-prev.total)
}

// hostIdle measures the host's idle CPU over d.
func hostIdle(d time.Duration) (float64, error) {
	a, err := readCPUStat()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	b, err := readCPUStat()
	if err != nil {
		return 0, err
	}
	return b.idleSince(a), nil
}
