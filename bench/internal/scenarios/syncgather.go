package scenarios

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// syncedGather is a `tlvbench gather -sync` child: it says "warm" before
// its measured gathers and "done" after them, and waits for a line on its
// stdin after each, so that the parent reads a counter (RPCs on the proxy,
// the host's CPU) exactly around the measured gathers.
type syncedGather struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr strings.Builder
	waited bool
	err    error
}

// startSyncedGather starts self gather with args and -sync.
func startSyncedGather(ctx context.Context, self string, args ...string) (*syncedGather, error) {
	g := &syncedGather{cmd: exec.CommandContext(ctx, self, append(append([]string{"gather"}, args...), "-sync")...)}
	g.cmd.Stderr = &g.stderr
	var err error
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := g.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	g.lines = bufio.NewScanner(stdout)
	return g, nil
}

// pid is the child's process id.
func (g *syncedGather) pid() int { return g.cmd.Process.Pid }

// expect reads the child's next word and fails, with its stderr, unless
// it is want.
func (g *syncedGather) expect(want string) error {
	if !g.lines.Scan() || g.lines.Text() != want {
		_ = g.wait()
		return fmt.Errorf("expected %q from the gather process, got %q: %s", want, g.lines.Text(), g.stderr.String())
	}
	return nil
}

// proceed lets the child go on past its last word.
func (g *syncedGather) proceed() error {
	_, err := io.WriteString(g.stdin, "\n")
	return err
}

// wait closes the child's stdin and waits for it to exit, once; a failed
// exit comes with the child's stderr.
func (g *syncedGather) wait() error {
	if g.waited {
		return g.err
	}
	g.waited = true
	_ = g.stdin.Close()
	if err := g.cmd.Wait(); err != nil {
		g.err = fmt.Errorf("gather process: %w: %s", err, g.stderr.String())
	}
	return g.err
}
