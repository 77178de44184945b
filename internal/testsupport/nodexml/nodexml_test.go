package nodexml

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata/node-120.xml, which the plugin's tests load, is this package's
// output: regenerate it with scripts/gen-node-xml.sh 120 when Write changes.
func TestNode120(t *testing.T) {
	want, err := os.ReadFile("../../../testdata/node-120.xml")
	require.NoError(t, err)
	var got bytes.Buffer
	require.NoError(t, Write(&got, 120))
	require.Equal(t, string(want), got.String())
}
