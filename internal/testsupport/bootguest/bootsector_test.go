package bootguest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The sector is what the BIOS needs (512 bytes, 55 AA at the end), and
// the code's jump lands on its loop and its data on the drive byte.
func TestSector(t *testing.T) {
	s := Sector()
	require.Len(t, s, 512)
	require.Equal(t, []byte{0x55, 0xAA}, s[510:])
	require.Equal(t, byte(0xEB), s[0x23], "jmp short at 7C23")
	require.Equal(t, 0x11, 0x25+int(int8(s[0x24])), "jmp target is the hlt at 7C11")
	require.Equal(t, byte(0xF4), s[0x11])
	require.Equal(t, []byte{0x25, 0x7C}, s[0x0F:0x11], "drive is at 7C25")
	require.Equal(t, []byte{0x25, 0x7C}, s[0x1C:0x1E])
	require.Len(t, code, 0x26)

	p := filepath.Join(t.TempDir(), "disk.raw")
	require.NoError(t, WriteImage(p))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Len(t, b, imageBytes)
	require.Equal(t, s, b[:512])
}
