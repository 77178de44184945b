//go:build !cgo || !linux

package libvirt_stats

import (
	_ "embed"
	"errors"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs"
)

// A Telegraf tree built with CGO_ENABLED=0 (Telegraf's own `make` does so)
// must still build with this plugin in it, and a configuration written for
// the real plugin must still parse: the plugin registers with the same
// sample.conf and the same options, and Init says what to do instead.

//go:embed sample.conf
var sampleConfig string

// errNoCgo is what Init returns; the plugin calls libvirt's C library.
var errNoCgo = errors.New("inputs.libvirt_stats needs libvirt's C library (libvirt.so.0), " +
	"but this binary was built without cgo (CGO_ENABLED=0); " +
	"build it with CGO_ENABLED=1, gcc and libvirt's headers installed " +
	"(Debian/Ubuntu: apt-get install gcc libvirt-dev; RHEL/Fedora: dnf install gcc libvirt-devel), " +
	"or run the telegraf-libvirt package's binary under inputs.execd")

// LibvirtStats has the options of the cgo build (libvirt_stats.go): the
// same Options.
type LibvirtStats struct {
	Options

	Log telegraf.Logger `toml:"-"`
}

func (*LibvirtStats) SampleConfig() string {
	return sampleConfig
}

func (*LibvirtStats) Init() error {
	return errNoCgo
}

func (*LibvirtStats) Gather(telegraf.Accumulator) error {
	return errNoCgo
}

// Start and Stop make it the same kind of input as the cgo build: a
// service input.
func (*LibvirtStats) Start(telegraf.Accumulator) error { return errNoCgo }

func (*LibvirtStats) Stop() {}

func init() {
	inputs.Add("libvirt_stats", func() telegraf.Input {
		return &LibvirtStats{}
	})
}
