package version

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Version is a release number the packages accept (Debian and RPM versions
// must start with a digit; no "v").
func TestVersionIsSemver(t *testing.T) {
	require.Regexp(t, `^\d+\.\d+\.\d+$`, Version)
}

// The Makefile reads the version from this file with sed; it must find
// exactly Version.
func TestMakefileReadsVersion(t *testing.T) {
	out, err := exec.Command("make", "-s", "-C", "../..", "print-version").Output()
	require.NoError(t, err)
	require.Equal(t, Version, strings.TrimSpace(string(out)))
}

// The newest CHANGELOG.md entry is this version.
func TestChangelogHasVersion(t *testing.T) {
	raw, err := os.ReadFile("../../CHANGELOG.md")
	require.NoError(t, err)
	first := regexp.MustCompile(`(?m)^## \[?v?(\d+\.\d+\.\d+)`).FindStringSubmatch(string(raw))
	require.NotNil(t, first, "CHANGELOG.md has no \"## 0.1.0\" style entry")
	require.Equal(t, Version, first[1], "the first CHANGELOG.md entry must be the current version")
}

func TestString(t *testing.T) {
	require.Equal(t, Version, String())
	old := Commit
	t.Cleanup(func() { Commit = old })
	Commit = "abc1234"
	require.Equal(t, Version+" (commit abc1234)", String())
}
