//go:build cgo && linux

package domstats

/*
#include "calls.h"
*/
import "C"

import "unsafe"

// The doors of this package for its test support, domstatstest, which
// holds the C that builds typed-parameter arrays with libvirt's own API and
// makes the bare "floor" call, so that none of that C ships in the binary.
// cgo gives every package its own C types (domstatstest's
// C.virTypedParameterPtr and C.virError are not this package's), so what
// its C hands over crosses as an unsafe.Pointer to the same libvirt type:
// an interface for an array, so that tests still write conv.Convert(cp),
// and a function for an error. No C of their own; production code calls
// none of them, so the linker leaves them out of the binary.

// TypedParams is a virTypedParameter array that C outside this package
// made (domstatstest.CParams).
type TypedParams interface {
	// CArray returns the array's first element and its length.
	CArray() (first unsafe.Pointer, n int)
}

// Convert converts the array as a stats record's parameters are converted.
func (c *Converter) Convert(tp TypedParams) []Param {
	ps, n := tp.CArray()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.params(make([]Param, 0, n), C.virTypedParameterPtr(ps), n)
}

// ConvertRecord converts the array into the record of a domain named name,
// the name interned as a bulk call's domain names are.
func (c *Converter) ConvertRecord(name, uuid string, tp TypedParams) Record {
	c.mu.Lock()
	n := c.intern([]byte(name))
	c.mu.Unlock()
	return Record{Name: n, UUID: uuid, Params: c.Convert(tp)}
}

// LibvirtError turns a virError that C outside this package filled
// (virCopyLastError) into a libvirt.Error, as this package's own calls
// report theirs, and resets it.
func LibvirtError(virError unsafe.Pointer) error {
	return goError((*C.virError)(virError))
}
