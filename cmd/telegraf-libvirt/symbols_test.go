//go:build cgo && linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The binary must start on the libvirt of old LTS releases (Ubuntu 20.04
// has 6.0, RHEL 8 and Ubuntu 22.04 8.0): built with the Makefile's GOTAGS
// (libvirt_dlopen), it needs no libvirt symbol newer than
// virConnectGetAllDomainStats' LIBVIRT_1.2.8. A binding upgrade or a new C
// call in internal/domstats that raises this fails here, not on a fleet.
const maxLibvirtSymbolVersion = "1.2.8"

// release is the binary built with the Makefile's GOTAGS, as `make build`
// builds it, once for the tests that read its symbols (a link of the whole
// binary is seconds of both cores); TestMain removes it.
var release struct {
	once      sync.Once
	dir       string
	tags, bin string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if release.dir != "" {
		_ = os.RemoveAll(release.dir)
	}
	os.Exit(code)
}

// releaseBinary returns the release build and its build tags.
func releaseBinary(t *testing.T) (bin, tags string) {
	t.Helper()
	release.once.Do(func() {
		out, err := exec.Command("make", "-s", "--no-print-directory", "-C", "../..", "gotags").Output()
		if err != nil {
			release.err = fmt.Errorf("make gotags: %w", err)
			return
		}
		release.tags = strings.TrimSpace(string(out))
		if release.dir, err = os.MkdirTemp("", "telegraf-libvirt-release-"); err != nil {
			release.err = err
			return
		}
		bin := filepath.Join(release.dir, "telegraf-libvirt")
		if out, err = exec.Command("go", "build", "-tags", release.tags, "-o", bin, ".").CombinedOutput(); err != nil {
			release.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		release.bin = bin
	})
	require.NoError(t, release.err)
	return release.bin, release.tags
}

func TestLibvirtSymbolVersions(t *testing.T) {
	bin, tags := releaseBinary(t)
	require.Contains(t, tags, "libvirt_dlopen")

	out, err := exec.Command("objdump", "-T", bin).Output()
	require.NoError(t, err)

	// "0000000000000000      DF *UND*  0000000000000000 (LIBVIRT_1.2.8) virConnectGetAllDomainStats"
	sym := regexp.MustCompile(`\(?LIBVIRT_([0-9.]+)\)?\s+(\w+)$`)
	var highest []int
	var newest []string
	n := 0
	for line := range strings.Lines(string(out)) {
		m := sym.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n++
		v := symbolVersion(t, m[1])
		switch c := slices.Compare(v, highest); {
		case c > 0:
			highest, newest = v, []string{m[2]}
		case c == 0:
			newest = append(newest, m[2])
		}
	}
	require.Positive(t, n, "no LIBVIRT_ symbol in objdump -T: is libvirt linked at all?\n%s", out)
	require.Equal(t, symbolVersion(t, maxLibvirtSymbolVersion), highest,
		"the binary needs libvirt %v for %v; the plugin supports libvirt >= %s (README, Supported libvirt versions)",
		highest, newest, maxLibvirtSymbolVersion)
	require.Contains(t, newest, "virConnectGetAllDomainStats")
	t.Logf("%d libvirt symbols, highest LIBVIRT_%s: %v", n, maxLibvirtSymbolVersion, newest)
}

func symbolVersion(t *testing.T, s string) []int {
	t.Helper()
	var v []int
	for f := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(f)
		require.NoError(t, err, "version %q", s)
		v = append(v, n)
	}
	return v
}

// testSupport matches the symbols of every package under
// internal/testsupport/, of internal/domstats/domstatstest (its Go package,
// its tlvtest* C; it stays beside domstats because its C is cgo, and cgo
// lives in internal/domstats only) and any Go function of this module, cgo call or
// cgo file named for the floor or the synthetic records: test and benchmark
// code that once shipped in the binary (the C of it did, while the Go
// linker dropped the Go). The standard library's and dependencies' own
// floor functions (math.Floor) are not this module's.
var testSupport = regexp.MustCompile(`(?i)domstatstest|internal/testsupport|tlvtest|_cfunc_\w*(floor|synthetic|addparam)|` +
	`telegraf-libvirt/\S*(floor|synthetic)|\b(floor|synthetic)\.cgo2\.c`)

// Test support stays out of the release binary: the tests and bench/ import
// it, the binary does not.
func TestReleaseBinaryHasNoTestSupport(t *testing.T) {
	bin, _ := releaseBinary(t)
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	require.NoError(t, err)
	var found []string
	n := 0
	for line := range strings.Lines(string(out)) {
		n++
		if testSupport.MatchString(line) {
			found = append(found, strings.TrimSpace(line))
		}
	}
	require.Greater(t, n, 1000, "go tool nm listed too few symbols:\n%s", out)
	require.Empty(t, found, "test support linked into the release binary")
}
