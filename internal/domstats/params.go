//go:build cgo && linux

package domstats

/*
#include "calls.h"
*/
import "C"

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"sync"
	"unsafe"
)

// Type is libvirt's virTypedParameterType.
type Type uint8

// The seven typed-parameter types, numbered as libvirt numbers them.
const (
	TypeInt     Type = C.VIR_TYPED_PARAM_INT
	TypeUint    Type = C.VIR_TYPED_PARAM_UINT
	TypeLLong   Type = C.VIR_TYPED_PARAM_LLONG
	TypeULLong  Type = C.VIR_TYPED_PARAM_ULLONG
	TypeDouble  Type = C.VIR_TYPED_PARAM_DOUBLE
	TypeBoolean Type = C.VIR_TYPED_PARAM_BOOLEAN
	TypeString  Type = C.VIR_TYPED_PARAM_STRING
)

// Param is one typed parameter: the key exactly as libvirt names it and
// the value with libvirt's type kept. Numbers are held unboxed so that
// converting a record costs no allocation per parameter.
type Param struct {
	Key  string
	Type Type
	num  uint64 // int, uint, llong, ullong, double bits, boolean
	str  string
}

// Value returns the Go value for the parameter: int and llong as int64,
// uint and ullong as uint64, double as float64, boolean as bool, string as
// string. A type this package does not know (one libvirt may add) is nil.
func (p Param) Value() any {
	switch p.Type {
	case TypeInt, TypeLLong:
		return int64(p.num)
	case TypeUint, TypeULLong:
		return p.num
	case TypeDouble:
		return math.Float64frombits(p.num)
	case TypeBoolean:
		return p.num != 0
	case TypeString:
		return p.str
	}
	return nil
}

// maxInterned bounds the string cache; past it the cache starts over.
const maxInterned = 1 << 16

// Converter turns libvirt records into Go records. It keeps the strings it
// has seen (keys, domain names, UUIDs) so a steady-state gather allocates
// none of them again. Safe for concurrent use.
type Converter struct {
	mu          sync.Mutex
	interned    map[string]string
	uuids       map[[16]byte]string
	lastKeys    []string       // the last record's keys by position
	lastDomains []listedDomain // the last call's domains by position
}

// listedDomain is a domain's name and UUID as the last call listed them.
type listedDomain struct {
	raw        [16]byte
	name, uuid string
}

// NewConverter returns a Converter with empty caches.
func NewConverter() *Converter {
	return &Converter{interned: make(map[string]string), uuids: make(map[[16]byte]string)}
}

// uuid formats a raw UUID as libvirt does (lower-case hex, 8-4-4-4-12),
// once per UUID seen.
func (c *Converter) uuidString(raw [16]byte) string {
	if s, ok := c.uuids[raw]; ok {
		return s
	}
	if len(c.uuids) >= maxInterned {
		clear(c.uuids)
	}
	var b [36]byte
	hex.Encode(b[0:8], raw[0:4])
	hex.Encode(b[9:13], raw[4:6])
	hex.Encode(b[14:18], raw[6:8])
	hex.Encode(b[19:23], raw[8:10])
	hex.Encode(b[24:36], raw[10:16])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	s := string(b[:])
	c.uuids[raw] = s
	return s
}

// intern returns the string for b (a key or a domain name), allocated
// once. A vertical tab comes out as the two characters \v: no line protocol
// parser reads it back (Telegraf's influx serializer writes it raw; its
// parser and InfluxDB's take it for whitespace), and escaping it here costs
// nothing per gather.
func (c *Converter) intern(b []byte) string {
	if s, ok := c.interned[string(b)]; ok {
		return s
	}
	if len(c.interned) >= maxInterned {
		clear(c.interned)
	}
	s := string(b)
	if bytes.IndexByte(b, '\v') >= 0 {
		c.interned[s] = strings.ReplaceAll(s, "\v", `\v`)
		return c.interned[s]
	}
	c.interned[s] = s
	return s
}

// params converts a virTypedParameter array, appending to out (which has
// the room); the caller holds c.mu.
func (c *Converter) params(out []Param, ps C.virTypedParameterPtr, n int) []Param {
	if n <= 0 {
		return nil
	}
	arr := unsafe.Slice(ps, n)
	for i := range arr {
		p := &arr[i]
		field := unsafe.Slice((*byte)(unsafe.Pointer(&p.field[0])), len(p.field))
		if end := bytes.IndexByte(field, 0); end >= 0 {
			field = field[:end]
		}
		out = append(out, convert(c.key(i, field), Type(p._type), unsafe.Pointer(&p.value)))
	}
	return out
}

// key returns the interned key at position i of a record. Records of one
// host mostly list the same keys in the same order, so the key at the same
// position of the previous record is tried first: comparing it costs less
// than hashing the key for the map.
func (c *Converter) key(i int, field []byte) string {
	if i < len(c.lastKeys) && c.lastKeys[i] == string(field) {
		return c.lastKeys[i]
	}
	k := c.intern(field)
	if i < len(c.lastKeys) {
		c.lastKeys[i] = k
	} else {
		c.lastKeys = append(c.lastKeys, k)
	}
	return k
}

// convert reads the union by the parameter's type.
func convert(key string, t Type, v unsafe.Pointer) Param {
	p := Param{Key: key, Type: t}
	switch t {
	case TypeInt:
		p.num = uint64(int64(*(*C.int)(v)))
	case TypeUint:
		p.num = uint64(*(*C.uint)(v))
	case TypeLLong:
		p.num = uint64(int64(*(*C.longlong)(v)))
	case TypeULLong:
		p.num = uint64(*(*C.ulonglong)(v))
	case TypeDouble:
		p.num = math.Float64bits(float64(*(*C.double)(v)))
	case TypeBoolean:
		if *(*C.char)(v) != 0 {
			p.num = 1
		}
	case TypeString:
		if s := *(**C.char)(v); s != nil {
			p.str = C.GoString(s)
		}
	}
	return p
}

// cBytes views a NUL-terminated C string without copying it. It finds the
// end in Go: a C.strlen would be a cgo call per string.
func cBytes(s *C.char) []byte {
	if s == nil {
		return nil
	}
	p := unsafe.Pointer(s)
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return unsafe.Slice((*byte)(p), n)
}
