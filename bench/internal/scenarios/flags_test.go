package scenarios

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequireFlags(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("bin", "", "")
	fs.String("config", "", "")
	fs.String("out", "", "")
	require.NoError(t, fs.Parse([]string{"-bin", "b", "-config", "c"}))
	require.EqualError(t, requireFlags(fs, "bin", "config", "out"), "need -bin, -config and -out (missing: -out)")
	require.NoError(t, requireFlags(fs, "bin", "config"))
	require.EqualError(t, requireFlags(fs, "out"), "need -out (missing: -out)")
}
