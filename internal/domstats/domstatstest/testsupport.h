// The C of the test-support package: typed parameters built with libvirt's
// own API, and the bare "floor" call. Its names carry the prefix tlvtest
// (telegraf-libvirt, test support): apart from libvirt's vir* and from the
// tlv* of internal/domstats, so that a binary that links any of it is seen
// at once (cmd/telegraf-libvirt's TestReleaseBinaryHasNoTestSupport).
#ifndef TLVTEST_SUPPORT_H
#define TLVTEST_SUPPORT_H

#include <stdlib.h> // the Go side's C.free

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

// Makes virConnectGetAllDomainStats and frees the records without reading
// them, on the calling thread; params gets the number of typed parameters
// the records held. Returns the number of records, or -1 with err set.
int tlvtestFloor(virConnectPtr conn, unsigned int stats, unsigned int flags,
                 long long *params, virErrorPtr err);

// Appends one parameter of the given VIR_TYPED_PARAM_* type with libvirt's
// virTypedParamsAdd*: i for int, llong and boolean, u for uint and ullong,
// d for double, s for string. Returns -1 with err set on failure.
int tlvtestAddParam(virTypedParameterPtr *ps, int *n, int *max,
                    const char *key, int type, long long i,
                    unsigned long long u, double d, const char *s,
                    virErrorPtr err);

#endif
