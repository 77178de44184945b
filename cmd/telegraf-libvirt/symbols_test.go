//go:build cgo

package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The binary must start on the libvirt of old LTS releases (Ubuntu 20.04
// has 6.0, RHEL 8 and Ubuntu 22.04 8.0): built with the Makefile's GOTAGS
// (libvirt_dlopen), it needs no libvirt symbol newer than
// virConnectGetAllDomainStats' LIBVIRT_1.2.8. A binding upgrade or a new C
// call in internal/domstats that raises this fails here, not on a fleet.
const maxLibvirtSymbolVersion = "1.2.8"

func TestLibvirtSymbolVersions(t *testing.T) {
	out, err := exec.Command("make", "-s", "--no-print-directory", "-C", "../..", "gotags").Output()
	require.NoError(t, err)
	tags := strings.TrimSpace(string(out))
	require.Contains(t, tags, "libvirt_dlopen")

	bin := filepath.Join(t.TempDir(), "telegraf-libvirt")
	out, err = exec.Command("go", "build", "-tags", tags, "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command("objdump", "-T", bin).Output()
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
