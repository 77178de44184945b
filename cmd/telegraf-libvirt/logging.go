//go:build cgo && linux

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/logger"
)

// Logging: Telegraf's logger, unconfigured, prefixes each line with a
// timestamp and keeps every message in memory until it is configured.
// Instead every message is printed as "E! [inputs.libvirt_stats] ...", the
// level first: inputs.execd reads that prefix and logs the rest at that
// level in Telegraf's own log.
var logThreshold atomic.Int32

// logOut is where the log goes: stderr, which execd reads.
var logOut io.Writer = os.Stderr

func setupLogging() {
	logThreshold.Store(int32(telegraf.Info))
	logger.RedirectLogging(io.Discard)
	if _, err := logger.AddCallback(printLog); err != nil {
		fmt.Fprintf(os.Stderr, "E! [inputs.%s] setting up logging: %v\n", pluginName, err)
	}
}

// setLogLevel applies the table's log_level (Telegraf's loader has
// already complained about an invalid one).
func setLogLevel(name string) {
	if l := telegraf.LogLevelFromString(name); l != telegraf.None {
		logThreshold.Store(int32(l))
	}
}

func printLog(level telegraf.LogLevel, _ time.Time, source string, _ map[string]any, args ...any) {
	if !telegraf.LogLevel(logThreshold.Load()).Includes(level) {
		return
	}
	line := level.Indicator() + " "
	if source != "" {
		line += "[" + source + "] "
	}
	// one message, one line: execd reads stderr line by line
	line += strings.ReplaceAll(fmt.Sprint(args...), "\n", " ") + "\n"
	logOut.Write([]byte(line)) //nolint:errcheck // nowhere else to report it
}
