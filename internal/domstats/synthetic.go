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
	"fmt"
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
	return c.params(cp.ps, int(cp.n))
}

// Free releases the array with virTypedParamsFree.
func (cp *CParams) Free() {
	if cp.ps != nil {
		C.virTypedParamsFree(cp.ps, cp.n)
		cp.ps, cp.n = nil, 0
	}
}
