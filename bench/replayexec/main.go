// Command replayexec writes a recorded gather (line protocol, one file)
// back to stdout at every line it reads on stdin, in one write, with every
// timestamp set to now. make bench runs it under Telegraf's inputs.execd
// (signal = "STDIN") in place of bin/telegraf-libvirt: what Telegraf spends
// reading and parsing a gather's line protocol, the limit of the execd path.
// The timestamps are patched in place (same width), so a gather costs this
// program next to nothing but the write.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: replayexec FILE.lp")
		os.Exit(2)
	}
	buf, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Offsets of each line's timestamp: its last space-separated word, if
	// it is a 19-digit nanosecond time.
	var stamps []int
	for off := 0; off < len(buf); {
		end := bytes.IndexByte(buf[off:], '\n')
		if end < 0 {
			end = len(buf) - off
		}
		line := buf[off : off+end]
		if sp := bytes.LastIndexByte(line, ' '); sp >= 0 && len(line)-sp-1 == 19 {
			stamps = append(stamps, off+sp+1)
		}
		off += end + 1
	}
	in := bufio.NewReader(os.Stdin)
	var ts []byte
	for {
		if _, err := in.ReadString('\n'); err != nil {
			return // Telegraf closed stdin: stop
		}
		ts = strconv.AppendInt(ts[:0], time.Now().UnixNano(), 10)
		if len(ts) == 19 {
			for _, o := range stamps {
				copy(buf[o:o+19], ts)
			}
		}
		if _, err := os.Stdout.Write(buf); err != nil {
			os.Exit(1)
		}
	}
}
