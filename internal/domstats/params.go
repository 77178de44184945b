package domstats

/*
#include <string.h>
#include <libvirt/libvirt.h>
*/
import "C"

import (
	"bytes"
	"math"
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
	mu      sync.Mutex
	strings map[string]string
}

// NewConverter returns a Converter with an empty string cache.
func NewConverter() *Converter {
	return &Converter{strings: make(map[string]string)}
}

func (c *Converter) intern(b []byte) string {
	if s, ok := c.strings[string(b)]; ok {
		return s
	}
	if len(c.strings) >= maxInterned {
		clear(c.strings)
	}
	s := string(b)
	c.strings[s] = s
	return s
}

// params converts a virTypedParameter array; the caller holds c.mu.
func (c *Converter) params(ps C.virTypedParameterPtr, n int) []Param {
	if n <= 0 {
		return nil
	}
	out := make([]Param, 0, n)
	arr := unsafe.Slice(ps, n)
	for i := range arr {
		p := &arr[i]
		field := unsafe.Slice((*byte)(unsafe.Pointer(&p.field[0])), len(p.field))
		if end := bytes.IndexByte(field, 0); end >= 0 {
			field = field[:end]
		}
		out = append(out, convert(c.intern(field), Type(p._type), unsafe.Pointer(&p.value)))
	}
	return out
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

// cBytes views a NUL-terminated C string without copying it.
func cBytes(s *C.char) []byte {
	if s == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), C.strlen(s))
}
