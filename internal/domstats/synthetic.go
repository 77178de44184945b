package domstats

/*
#include <stdlib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// Builds one parameter with libvirt's own typed-parameter API, so tests
// exercise the exact layout libvirt produces.
static int tlvAddParam(virTypedParameterPtr *ps, int *n, int *max,
                       const char *key, int type, long long i,
                       unsigned long long u, double d, const char *s,
                       virErrorPtr err)
{
    int ret = -1;
    // Without a connection opened first, libvirt's error state would not be set up yet.
    if (virInitialize() < 0) {
        virCopyLastError(err);
        return -1;
    }
    switch (type) {
    case VIR_TYPED_PARAM_INT:
        ret = virTypedParamsAddInt(ps, n, max, key, (int)i);
        break;
    case VIR_TYPED_PARAM_UINT:
        ret = virTypedParamsAddUInt(ps, n, max, key, (unsigned int)u);
        break;
    case VIR_TYPED_PARAM_LLONG:
        ret = virTypedParamsAddLLong(ps, n, max, key, i);
        break;
    case VIR_TYPED_PARAM_ULLONG:
        ret = virTypedParamsAddULLong(ps, n, max, key, u);
        break;
    case VIR_TYPED_PARAM_DOUBLE:
        ret = virTypedParamsAddDouble(ps, n, max, key, d);
        break;
    case VIR_TYPED_PARAM_BOOLEAN:
        ret = virTypedParamsAddBoolean(ps, n, max, key, (int)i);
        break;
    case VIR_TYPED_PARAM_STRING:
        ret = virTypedParamsAddString(ps, n, max, key, s);
        break;
    }
    if (ret < 0)
        virCopyLastError(err);
    return ret;
}
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Synthetic describes one parameter to build in C, for tests and
// benchmarks of the conversion. Value is an int64 for TypeInt, TypeLLong and
// TypeBoolean (0 or 1), a uint64 for TypeUint and TypeULLong, a float64 for
// TypeDouble and a string for TypeString.
type Synthetic struct {
	Key   string
	Type  Type
	Value any
}

// CParams is a virTypedParameter array allocated by libvirt.
type CParams struct {
	ps C.virTypedParameterPtr
	n  C.int
}

// BuildParams builds a virTypedParameter array with libvirt's
// virTypedParamsAdd* functions. The caller must Free it.
func BuildParams(in []Synthetic) (*CParams, error) {
	cp := &CParams{}
	var maxp C.int
	for _, s := range in {
		var i C.longlong
		var u C.ulonglong
		var d C.double
		var str *C.char
		switch v := s.Value.(type) {
		case int64:
			i = C.longlong(v)
		case uint64:
			u = C.ulonglong(v)
		case float64:
			d = C.double(v)
		case string:
			str = C.CString(v)
		default:
			cp.Free()
			return nil, fmt.Errorf("synthetic parameter %q: unsupported value %T", s.Key, s.Value)
		}
		key := C.CString(s.Key)
		var cerr C.virError
		rc := C.tlvAddParam(&cp.ps, &cp.n, &maxp, key, C.int(s.Type), i, u, d, str, &cerr)
		C.free(unsafe.Pointer(key))
		C.free(unsafe.Pointer(str))
		if rc < 0 {
			cp.Free()
			return nil, fmt.Errorf("synthetic parameter %q: %w", s.Key, goError(&cerr))
		}
	}
	return cp, nil
}

// Convert converts the array as a stats record's parameters are converted.
func (c *Converter) Convert(cp *CParams) []Param {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.params(make([]Param, 0, int(cp.n)), cp.ps, int(cp.n))
}

// Free releases the array with virTypedParamsFree.
func (cp *CParams) Free() {
	if cp.ps != nil {
		C.virTypedParamsFree(cp.ps, cp.n)
		cp.ps, cp.n = nil, 0
	}
}

// SyntheticDomain describes the n parameters of domain i as libvirt's QEMU
// driver lays them out (state, cpu, balloon, vcpu, net, block, ...; block
// devices repeat until n is reached), with values that differ per domain.
// Keys repeat across domains, as they do on a real host; the string values
// (device names and paths) are the domain's own.
func SyntheticDomain(i, n int) []Synthetic {
	out := make([]Synthetic, 0, n)
	seq := uint64(i)*1_000_003 + (1 << 20)
	add := func(key string, t Type, v any) {
		if len(out) < n {
			out = append(out, Synthetic{key, t, v})
		}
	}
	u := func(key string) { seq += 7919; add(key, TypeULLong, seq) }
	add("state.state", TypeInt, int64(1))
	add("state.reason", TypeInt, int64(1))
	for _, k := range []string{"time", "user", "system", "haltpoll.success.time", "haltpoll.fail.time"} {
		u("cpu." + k)
	}
	for _, k := range []string{"current", "maximum", "swap_in", "swap_out", "major_fault", "minor_fault",
		"unused", "available", "usable", "last-update", "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail", "rss"} {
		u("balloon." + k)
	}
	add("vcpu.current", TypeUint, uint64(2))
	add("vcpu.maximum", TypeUint, uint64(2))
	for v := range 2 {
		p := fmt.Sprintf("vcpu.%d.", v)
		add(p+"state", TypeInt, int64(1))
		u(p + "time")
		u(p + "wait")
		u(p + "delay")
		add(p+"halted", TypeBoolean, int64(v))
	}
	add("net.count", TypeUint, uint64(2))
	for d := range 2 {
		p := fmt.Sprintf("net.%d.", d)
		add(p+"name", TypeString, fmt.Sprintf("tap%d-%d", i, d))
		for _, k := range []string{"rx.bytes", "rx.pkts", "rx.errs", "rx.drop", "tx.bytes", "tx.pkts", "tx.errs", "tx.drop"} {
			u(p + k)
		}
	}
	add("iothread.count", TypeUint, uint64(1))
	add("iothread.1.poll-max-ns", TypeULLong, uint64(32768))
	add("iothread.1.poll-grow", TypeUint, uint64(0))
	add("iothread.1.poll-shrink", TypeUint, uint64(0))
	add("dirtyrate.calc_status", TypeInt, int64(0))
	add("dirtyrate.calc_start_time", TypeLLong, int64(1700000000+i))
	add("dirtyrate.calc_period", TypeInt, int64(1))
	add("dirtyrate.megabytes_per_second", TypeLLong, int64(i%100))
	add("dirtyrate.calc_mode", TypeString, "page-sampling")
	disks := (n - len(out) + 15) / 17 // block.count itself is one of the rest
	add("block.count", TypeUint, uint64(disks))
	for d := 0; len(out) < n; d++ {
		p := fmt.Sprintf("block.%d.", d)
		add(p+"name", TypeString, fmt.Sprintf("vd%c", 'a'+rune(d%26)))
		add(p+"path", TypeString, fmt.Sprintf("/var/lib/libvirt/images/dom-%04d-%d.qcow2", i, d))
		add(p+"backingIndex", TypeUint, uint64(1))
		for _, k := range []string{"rd.reqs", "rd.bytes", "rd.times", "wr.reqs", "wr.bytes", "wr.times",
			"fl.reqs", "fl.times", "allocation", "capacity", "physical"} {
			u(p + k)
		}
		add(p+"threshold", TypeULLong, uint64(0))
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
		t := Type(take(1)[0]%7 + 1)
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
		case TypeInt:
			s.Value = int64(int32(n))
		case TypeLLong:
			s.Value = int64(n)
		case TypeUint:
			s.Value = uint64(uint32(n))
		case TypeULLong:
			s.Value = n
		case TypeDouble:
			s.Value = math.Float64frombits(n)
		case TypeBoolean:
			s.Value = int64(n & 1)
		case TypeString:
			s.Value = string(take(int(num[0])))
		}
		out = append(out, s)
	}
	return out
}

// ConvertRecord converts the array into the record of a domain named name,
// the name interned as a bulk call's domain names are.
func (c *Converter) ConvertRecord(name, uuid string, cp *CParams) Record {
	c.mu.Lock()
	n := c.intern([]byte(name))
	c.mu.Unlock()
	return Record{Name: n, UUID: uuid, Params: c.Convert(cp)}
}
