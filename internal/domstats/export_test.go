//go:build cgo

package domstats

import "unsafe"

func unsafeStringData(s string) *byte { return unsafe.StringData(s) }
