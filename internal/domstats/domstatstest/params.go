//go:build cgo && linux

package domstatstest

/*
#include "testsupport.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// Synthetic describes one parameter to build in C, for tests and
// benchmarks of the conversion. Value is an int64 for TypeInt, TypeLLong and
// TypeBoolean (0 or 1), a uint64 for TypeUint and TypeULLong, a float64 for
// TypeDouble and a string for TypeString.
type Synthetic struct {
	Key   string
	Type  domstats.Type
	Value any
}

// CParams is a virTypedParameter array allocated by libvirt. It is a
// domstats.TypedParams: domstats.Converter.Convert converts it.
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
		rc := C.tlvtestAddParam(&cp.ps, &cp.n, &maxp, key, C.int(s.Type), i, u, d, str, &cerr)
		C.free(unsafe.Pointer(key))
		C.free(unsafe.Pointer(str))
		if rc < 0 {
			cp.Free()
			return nil, fmt.Errorf("synthetic parameter %q: %w", s.Key, domstats.LibvirtError(unsafe.Pointer(&cerr)))
		}
	}
	return cp, nil
}

// CArray returns the array's first element and its length, for
// domstats.Converter.
func (cp *CParams) CArray() (first unsafe.Pointer, n int) {
	return unsafe.Pointer(cp.ps), int(cp.n)
}

// Free releases the array with virTypedParamsFree.
func (cp *CParams) Free() {
	if cp.ps != nil {
		C.virTypedParamsFree(cp.ps, cp.n)
		cp.ps, cp.n = nil, 0
	}
}
