//go:build cgo && linux

package main

// The helpers the tests of the binary share; a helper that serves one test
// file stays in that file. The tests tagged qemu have theirs in
// helpers_qemu_test.go.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/models"
	"github.com/stretchr/testify/require"
)

// writeConf writes a configuration file and returns its path.
func writeConf(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "libvirt_stats.conf")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// binary builds the binary for a test.
func binary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "telegraf-libvirt")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// run runs the binary to its end, with no stdin, and returns its output
// and exit code.
func run(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, code, _ = runCmd(t, exec.Command(bin, args...))
	return stdout, stderr, code
}

// runEnv runs the binary with extra environment variables and, like
// Telegraf's execd, a stdin pipe that stays open and silent; it kills the
// binary after 20 s and returns how long it ran.
func runEnv(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	stdout, stderr, code, took = runCmd(t, cmd)
	require.NoError(t, ctx.Err(), "binary still running after 20 s; stdout %q stderr %q", stdout, stderr)
	return stdout, stderr, code, took
}

// runCmd runs cmd to its end and returns its output, exit code and how long
// it ran; failing to run it at all fails the test.
func runCmd(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return so.String(), se.String(), ee.ExitCode(), took
	}
	require.NoError(t, err)
	return so.String(), se.String(), 0, took
}

// initInput loads table as the binary does and initializes the input.
func initInput(t testing.TB, table string) *models.RunningInput {
	t.Helper()
	ri, err := loadInput(writeConf(t, table))
	require.NoError(t, err)
	require.NoError(t, ri.Init())
	t.Cleanup(ri.Stop)
	return ri
}

// nodeURI is the test driver's URI of testdata/node-120.xml: 120 domains
// (scripts/gen-node-xml.sh).
func nodeURI(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs("../../testdata/node-120.xml")
	require.NoError(t, err)
	return "test://" + p
}
