// libvirt keeps the last error per thread: each helper makes its call and
// copies the error on the same thread.

#include <stddef.h>

#include "testsupport.h"

int tlvtestFloor(virConnectPtr conn, unsigned int stats, unsigned int flags,
                 long long *params, virErrorPtr err)
{
    virDomainStatsRecordPtr *recs = NULL;
    int i, n = virConnectGetAllDomainStats(conn, stats, &recs, flags);
    if (n < 0) {
        virCopyLastError(err);
        return n;
    }
    *params = 0;
    for (i = 0; i < n; i++)
        *params += recs[i]->nparams;
    virDomainStatsRecordListFree(recs);
    return n;
}

// Builds one parameter with libvirt's own typed-parameter API, so tests
// exercise the exact layout libvirt produces.
int tlvtestAddParam(virTypedParameterPtr *ps, int *n, int *max,
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
