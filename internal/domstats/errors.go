//go:build cgo && linux

package domstats

/*
#include "calls.h"
*/
import "C"

import "libvirt.org/go/libvirt"

// goError turns a virError that C filled (libvirt's errors are per thread:
// each C helper copies it on the thread that made the call) into a
// libvirt.Error, the binding's own error type, and resets it.
func goError(e *C.virError) error {
	defer C.virResetError(e)
	return libvirt.Error{
		Code:    libvirt.ErrorNumber(e.code),
		Domain:  libvirt.ErrorDomain(e.domain),
		Message: C.GoString(e.message),
		Level:   libvirt.ErrorLevel(e.level),
	}
}

// errNoMemoryForSelection is GetMatching's error when the array of the
// domains it keeps cannot be allocated.
var errNoMemoryForSelection = libvirt.Error{
	Code:    libvirt.ERR_NO_MEMORY,
	Message: "out of memory allocating the domain list",
	Level:   libvirt.ERR_ERROR,
}
