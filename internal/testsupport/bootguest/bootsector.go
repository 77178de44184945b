// Package bootguest runs a QEMU guest whose disk counters move at a known
// pace, for the tests of rates and latencies: the tlv-* guests have no OS,
// so only their CPU counters move. Its disk is a raw image whose first
// sector is a hand-assembled x86 boot sector that reads sector 2 of its
// own disk through the BIOS (INT 13h) once per timer tick (18.2 Hz), and
// halts in between. Only tests import it.
package bootguest

import (
	"encoding/binary"
	"fmt"
	"os"
)

// ReadsPerSecond is the pace of the boot sector's reads: one per tick of
// the PC's timer (1193182 Hz / 65536). Each reads SectorBytes bytes.
const (
	ReadsPerSecond = 1193182.0 / 65536
	SectorBytes    = 512
)

// code is the boot sector's program, 16-bit real mode, loaded by the BIOS
// at 0000:7C00 with the boot drive in DL:
//
//	7C00  FA          cli
//	7C01  31 C0       xor  ax, ax
//	7C03  8E D8       mov  ds, ax
//	7C05  8E C0       mov  es, ax
//	7C07  8E D0       mov  ss, ax
//	7C09  BC 00 7C    mov  sp, 0x7C00
//	7C0C  FB          sti                 ; the timer interrupt wakes hlt
//	7C0D  88 16 25 7C mov  [drive], dl
//	loop:
//	7C11  F4          hlt                 ; until the next timer tick
//	7C12  B8 01 02    mov  ax, 0x0201     ; INT 13h read, 1 sector
//	7C15  B9 02 00    mov  cx, 0x0002     ; cylinder 0, sector 2
//	7C18  30 F6       xor  dh, dh         ; head 0
//	7C1A  8A 16 25 7C mov  dl, [drive]
//	7C1E  BB 00 80    mov  bx, 0x8000     ; buffer ES:BX = 0000:8000
//	7C21  CD 13       int  0x13
//	7C23  EB EC       jmp  loop           ; 0x7C25 - 20 = 0x7C11
//	drive:
//	7C25  00          db   0
var code = []byte{
	0xFA,
	0x31, 0xC0,
	0x8E, 0xD8,
	0x8E, 0xC0,
	0x8E, 0xD0,
	0xBC, 0x00, 0x7C,
	0xFB,
	0x88, 0x16, 0x25, 0x7C,
	0xF4,
	0xB8, 0x01, 0x02,
	0xB9, 0x02, 0x00,
	0x30, 0xF6,
	0x8A, 0x16, 0x25, 0x7C,
	0xBB, 0x00, 0x80,
	0xCD, 0x13,
	0xEB, 0xEC,
	0x00,
}

// Sector returns the 512-byte boot sector: the code, zeros, and the boot
// signature 55 AA that makes the BIOS boot it.
func Sector() []byte {
	s := make([]byte, SectorBytes)
	copy(s, code)
	binary.LittleEndian.PutUint16(s[510:], 0xAA55)
	return s
}

// MinReadsPerSecond and MaxReadsPerSecond bound the pace a test may see:
// the guest never reads faster than the timer ticks, but under TCG on a
// busy host (two shared cores) it is late for ticks and reads less often
// (13 a second seen while other guests were being benchmarked).
const (
	MinReadsPerSecond = ReadsPerSecond / 4
	MaxReadsPerSecond = ReadsPerSecond * 1.25
)

// imageBytes is the disk's size: 1 MiB, so the BIOS sees a disk with a
// geometry that has sector 2.
const imageBytes = 1 << 20

// WriteImage writes the raw disk image: the boot sector, then zeros.
func WriteImage(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(Sector()); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Truncate(imageBytes); err != nil {
		f.Close()
		return fmt.Errorf("sizing %s: %w", path, err)
	}
	return f.Close()
}
