//go:build cgo && linux

package domstats

// What the tests (package domstats_test, which imports domstatstest and so
// cannot be package domstats) read of the package's insides.

const MaxInterned = maxInterned

// MakeParam is the parameter a record holds for a number.
func MakeParam(key string, t Type, num uint64) Param { return Param{Key: key, Type: t, num: num} }
