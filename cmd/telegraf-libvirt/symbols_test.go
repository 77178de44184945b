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

// The binary must start on the oldest distributions the README names:
// Debian 11 and Ubuntu 20.04 have glibc 2.31 (RHEL 9 2.34). `make build`
// builds it in a Debian 11 root (scripts/roots.sh) for this; built on a newer
// system it would need that system's glibc (Debian 12's: GLIBC_2.34).
const maxGlibcSymbolVersion = "2.31"

// release is the binary `make build` builds (in the build root, with the
// Makefile's GOTAGS), built once for the tests that read its symbols (a link
// of the whole binary is seconds of both cores); TestMain removes it.
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
		// The build root sees only what is bind-mounted into it: the
		// temporary directory too.
		cmd := exec.Command("make", "-s", "--no-print-directory", "-C", "../..", "build", "BIN="+bin)
		cmd.Env = append(os.Environ(), "TLV_ROOT_BINDS="+release.dir)
		if out, err = cmd.CombinedOutput(); err != nil {
			release.err = fmt.Errorf("make build: %w\n%s", err, out)
			return
		}
		release.bin = bin
	})
	require.NoError(t, release.err)
	return release.bin, release.tags
}

// highestSymbolVersion reads objdump -T of bin and returns the highest
// version of the symbols versioned PREFIX_x.y (LIBVIRT_, GLIBC_), the
// symbols that need it and how many symbols carry that prefix.
func highestSymbolVersion(t *testing.T, bin, prefix string) (highest []int, newest []string, n int) {
	t.Helper()
	out, err := exec.Command("objdump", "-T", bin).Output()
	require.NoError(t, err)
	// "0000000000000000      DF *UND*  0000000000000000 (LIBVIRT_1.2.8) virConnectGetAllDomainStats"
	// "0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.3.2) pthread_cond_wait"
	// (binutils 2.40 prints the version in parentheses, older ones without)
	sym := regexp.MustCompile(`\(?` + prefix + `([0-9.]+)\)?\s+(\w+)$`)
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
	require.Positive(t, n, "no %s symbol in objdump -T of %s:\n%s", prefix, bin, out)
	return highest, newest, n
}

func TestLibvirtSymbolVersions(t *testing.T) {
	bin, tags := releaseBinary(t)
	require.Contains(t, tags, "libvirt_dlopen")

	highest, newest, n := highestSymbolVersion(t, bin, "LIBVIRT_")
	require.Equal(t, symbolVersion(t, maxLibvirtSymbolVersion), highest,
		"the binary needs libvirt %v for %v; the plugin supports libvirt >= %s (README, Supported libvirt versions)",
		highest, newest, maxLibvirtSymbolVersion)
	require.Contains(t, newest, "virConnectGetAllDomainStats")
	t.Logf("%d libvirt symbols, highest LIBVIRT_%s: %v", n, maxLibvirtSymbolVersion, newest)

	// The C library: no symbol newer than the oldest glibc the README
	// names, or the binary fails to start there with "version `GLIBC_2.34'
	// not found".
	highest, newest, n = highestSymbolVersion(t, bin, "GLIBC_")
	require.LessOrEqual(t, slices.Compare(highest, symbolVersion(t, maxGlibcSymbolVersion)), 0,
		"the binary needs glibc %s for %v; the README names systems with glibc %s (was it built outside the build root?)",
		dotted(highest), newest, maxGlibcSymbolVersion)
	t.Logf("%d glibc symbols, highest GLIBC_%s: %v", n, dotted(highest), newest)
}

// dotted prints a version as its symbol does: 2.31.
func dotted(v []int) string {
	f := make([]string, len(v))
	for i, n := range v {
		f[i] = strconv.Itoa(n)
	}
	return strings.Join(f, ".")
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
