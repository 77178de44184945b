//go:build cgo && linux

package domstatstest

import (
	"os"
	"path/filepath"
	"runtime"
)

// TestDriverURI is the URI of libvirt's test driver on a node file of the
// repository's testdata/ (node-120.xml: 120 domains), for the tests of any
// package: the path is found from this file's, not from the test's
// directory. An error if the file is missing.
func TestDriverURI(node string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	p, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", node))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return "test://" + p, nil
}
