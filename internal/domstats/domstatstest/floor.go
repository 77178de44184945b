//go:build cgo && linux

// Package domstatstest is test support for internal/domstats, as
// net/http/httptest is for net/http: typed-parameter arrays built in C with
// libvirt's own virTypedParamsAdd* (BuildParams, SyntheticDomain,
// DecodeSynthetic), converted by domstats.Converter as a bulk call's records
// are; Floor, the bare bulk call the benchmarks hold the plugin against;
// TestDriverURI, libvirt's test driver on a node of testdata/. Only tests
// and the bench module import it, so none of it ships in
// bin/telegraf-libvirt or in a Telegraf with the plugin (a test of
// cmd/telegraf-libvirt checks the binary's symbols).
//
// Its tests are those of internal/domstats, which compare it with the real
// calls.
package domstatstest

/*
#cgo pkg-config: libvirt
#include "testsupport.h"
*/
import "C"

import (
	"unsafe"

	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
)

// Floor makes the same virConnectGetAllDomainStats call as
// domstats.Converter.GetAll and frees the records without reading them, in
// one cgo call on the calling thread: the cost of the call alone, for the
// benchmarks to hold the plugin against. It returns the number of records
// and of typed parameters in them.
func Floor(conn *libvirt.Connect, stats, flags uint32) (records, params int, err error) {
	p, err := conn.RawPtr()
	if err != nil {
		return 0, 0, err
	}
	cconn := C.virConnectPtr(unsafe.Pointer(p))
	defer C.virConnectClose(cconn)

	var np C.longlong
	var cerr C.virError
	n := C.tlvtestFloor(cconn, C.uint(stats), C.uint(flags), &np, &cerr)
	if n < 0 {
		return 0, 0, domstats.LibvirtError(unsafe.Pointer(&cerr))
	}
	return int(n), int(np), nil
}
