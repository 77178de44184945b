//go:build !cgo || !linux

// Command telegraf-libvirt needs cgo: the plugin calls libvirt's C library.
// Built with CGO_ENABLED=0 it still compiles (so `go build ./...` of this
// module works without cgo) and says so at start, with the plugin's own
// Init error.
package main

import (
	"fmt"
	"os"

	"github.com/influxdata/telegraf/plugins/inputs"

	_ "github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats" // register plugin
)

func main() {
	err := inputs.Inputs["libvirt_stats"]().(interface{ Init() error }).Init()
	fmt.Fprintf(os.Stderr, "E! [telegraf-libvirt] %v\n", err)
	os.Exit(1)
}
