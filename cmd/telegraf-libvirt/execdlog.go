package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/logger"
)

// logForExecd sends the plugin's log to w (stderr) in the form Telegraf's
// inputs.execd understands: it reads the child's stderr line by line and
// maps a leading "E! ", "W! ", "I! ", "D! " or "T! " to its own log level;
// any other line it logs as an error ("stderr: ..."). Telegraf's logger
// starts every line with a timestamp, so without this an informational line
// of the plugin became an error in Telegraf's log. Every level is written:
// execd drops what Telegraf's own log level excludes.
//
// Telegraf's logger gets a sink (io.Discard) as well: without one it keeps
// every message in memory for a sink that a long-running binary never sets
// up. Its callbacks still see every message.
// The returned function undoes the callback (for tests).
func logForExecd(w io.Writer) (undo func()) {
	logger.RedirectLogging(io.Discard)
	var mu sync.Mutex
	// AddCallback fails only when no random UUID can be made; the log would
	// then keep its timestamps, nothing worse.
	id, _ := logger.AddCallback(func(level telegraf.LogLevel, _ time.Time, source string, _ map[string]any, args ...any) {
		var b strings.Builder
		b.WriteString(level.Indicator())
		b.WriteByte(' ')
		if source != "" {
			b.WriteString("[" + source + "] ")
		}
		// one message, one line: execd reads stderr line by line
		b.WriteString(strings.ReplaceAll(fmt.Sprint(args...), "\n", " "))
		b.WriteByte('\n')
		mu.Lock()
		defer mu.Unlock()
		_, _ = io.WriteString(w, b.String())
	})
	return func() { logger.RemoveCallback(id) }
}
