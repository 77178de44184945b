//go:build cgo && linux

package domstatstest

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// SyntheticDomain describes the n parameters of domain i as libvirt's QEMU
// driver lays them out (state, cpu, balloon, vcpu, net, block, ...; block
// devices repeat until n is reached), with values that differ per domain.
// Keys repeat across domains, as they do on a real host; the string values
// (device names and paths) are the domain's own.
func SyntheticDomain(i, n int) []Synthetic {
	out := make([]Synthetic, 0, n)
	seq := uint64(i)*1_000_003 + (1 << 20)
	add := func(key string, t domstats.Type, v any) {
		if len(out) < n {
			out = append(out, Synthetic{key, t, v})
		}
	}
	u := func(key string) { seq += 7919; add(key, domstats.TypeULLong, seq) }
	add("state.state", domstats.TypeInt, int64(1))
	add("state.reason", domstats.TypeInt, int64(1))
	for _, k := range []string{"time", "user", "system", "haltpoll.success.time", "haltpoll.fail.time"} {
		u("cpu." + k)
	}
	for _, k := range []string{"current", "maximum", "swap_in", "swap_out", "major_fault", "minor_fault",
		"unused", "available", "usable", "last-update", "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail", "rss"} {
		u("balloon." + k)
	}
	add("vcpu.current", domstats.TypeUint, uint64(2))
	add("vcpu.maximum", domstats.TypeUint, uint64(2))
	for v := range 2 {
		p := fmt.Sprintf("vcpu.%d.", v)
		add(p+"state", domstats.TypeInt, int64(1))
		u(p + "time")
		u(p + "wait")
		u(p + "delay")
		add(p+"halted", domstats.TypeBoolean, int64(v))
	}
	add("net.count", domstats.TypeUint, uint64(2))
	for d := range 2 {
		p := fmt.Sprintf("net.%d.", d)
		add(p+"name", domstats.TypeString, fmt.Sprintf("tap%d-%d", i, d))
		for _, k := range []string{"rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts", "tx.errs", "tx.drop"} {
			u(p + k)
		}
	}
	add("iothread.count", domstats.TypeUint, uint64(1))
	add("iothread.1.poll-max-ns", domstats.TypeULLong, uint64(32768))
	add("iothread.1.poll-grow", domstats.TypeUint, uint64(0))
	add("iothread.1.poll-shrink", domstats.TypeUint, uint64(0))
	add("dirtyrate.calc_status", domstats.TypeInt, int64(0))
	add("dirtyrate.calc_start_time", domstats.TypeLLong, int64(1700000000+i))
	add("dirtyrate.calc_period", domstats.TypeInt, int64(1))
	add("dirtyrate.megabytes_per_second", domstats.TypeLLong, int64(i%100))
	add("dirtyrate.calc_mode", domstats.TypeString, "page-sampling")
	disks := (n - len(out) + 15) / 17 // block.count itself is one of the rest
	add("block.count", domstats.TypeUint, uint64(disks))
	for d := 0; len(out) < n; d++ {
		p := fmt.Sprintf("block.%d.", d)
		add(p+"name", domstats.TypeString, fmt.Sprintf("vd%c", 'a'+rune(d%26)))
		add(p+"path", domstats.TypeString, fmt.Sprintf("/var/lib/libvirt/images/dom-%04d-%d.qcow2", i, d))
		add(p+"backingIndex", domstats.TypeUint, uint64(1))
		for _, k := range []string{"rd.reqs", "rd.bytes", "rd.times", "wr.reqs", "wr.bytes", "wr.times",
			"fl.reqs", "fl.times", "allocation", "capacity", "physical"} {
			u(p + k)
		}
		add(p+"threshold", domstats.TypeULLong, uint64(0))
	}
	return out
}

// DecodeSynthetic turns fuzzer bytes into typed parameters: per parameter
// a type byte, a key length byte, the key, then 8 value bytes (a string's
// length is the first of them, its bytes follow). Keys and strings are any
// bytes, invalid UTF-8 included. For the fuzz tests.
func DecodeSynthetic(data []byte) []Synthetic {
	var out []Synthetic
	take := func(n int) []byte {
		if n > len(data) {
			n = len(data)
		}
		b := data[:n]
		data = data[n:]
		return b
	}
	for len(data) > 0 {
		t := domstats.Type(take(1)[0]%7 + 1)
		var klen byte
		if b := take(1); len(b) > 0 {
			klen = b[0]
		}
		key := string(take(int(klen)))
		var num [8]byte
		copy(num[:], take(8))
		n := binary.LittleEndian.Uint64(num[:])
		s := Synthetic{Key: key, Type: t}
		switch t {
		case domstats.TypeInt:
			s.Value = int64(int32(n))
		case domstats.TypeLLong:
			s.Value = int64(n)
		case domstats.TypeUint:
			s.Value = uint64(uint32(n))
		case domstats.TypeULLong:
			s.Value = n
		case domstats.TypeDouble:
			s.Value = math.Float64frombits(n)
		case domstats.TypeBoolean:
			s.Value = int64(n & 1)
		case domstats.TypeString:
			s.Value = string(take(int(num[0])))
		}
		out = append(out, s)
	}
	return out
}
