//go:build cgo

// Command telegraf-libvirt runs the libvirt_stats input outside Telegraf,
// for Telegraf's inputs.execd: line protocol on stdout, one gather per
// interval or per line on stdin.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/agent"
	"github.com/influxdata/telegraf/logger"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/common/shim"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"libvirt.org/go/libvirt"

	_ "github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func main() {
	configFile := flag.String("config", "", "TOML file with one [[inputs.libvirt_stats]] table (default: the plugin's defaults)")
	pollInterval := flag.Duration("poll_interval", 10*time.Second, "how often to gather")
	pollDisabled := flag.Bool("poll_interval_disabled", false, "gather only when a line arrives on stdin (execd signal = \"STDIN\")")
	once := flag.Bool("once", false, "gather once, print line protocol (uint64 with the u suffix) and exit; non-zero exit if the gather failed")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(versionString())
		return
	}
	input, err := loadInput(*configFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] loading config: %v\n", err)
		os.Exit(1)
	}
	if *once {
		if err := runOnce(input); err != nil {
			os.Exit(1)
		}
		return
	}

	s := shim.New()
	if err := s.AddInput(input); err != nil {
		fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] %v\n", err)
		os.Exit(1)
	}
	interval := *pollInterval
	if *pollDisabled {
		interval = shim.PollIntervalDisabled
	}
	if err := s.Run(interval); err != nil {
		fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] %v\n", err)
		os.Exit(1)
	}
}

func versionString() string {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	lib, err := libvirt.GetVersion()
	if err != nil {
		return "telegraf-libvirt " + v
	}
	return fmt.Sprintf("telegraf-libvirt %s (libvirt %d.%d.%d)", v, lib/1000000, lib/1000%1000, lib%1000)
}

// maker is the minimal MetricMaker Telegraf's accumulator needs.
type maker struct{ log telegraf.Logger }

func (maker) LogName() string                              { return "inputs." + pluginName }
func (maker) MakeMetric(m telegraf.Metric) telegraf.Metric { return m }
func (m maker) Log() telegraf.Logger                       { return m.log }

// errorRecorder keeps the errors a gather reports so -once can exit
// non-zero with them.
type errorRecorder struct {
	telegraf.Accumulator
	errs []error
}

func (a *errorRecorder) AddError(err error) {
	if err != nil {
		a.errs = append(a.errs, err)
	}
}

// runOnce does one gather and prints it with uint64 kept (the u suffix).
func runOnce(input telegraf.Input) error {
	log := logger.New("inputs", pluginName, "")
	models.SetLoggerOnPlugin(input, log)
	if p, ok := input.(telegraf.Initializer); ok {
		if err := p.Init(); err != nil {
			fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] %v\n", err)
			return err
		}
	}
	ser := &influx.Serializer{UintSupport: true}
	if err := ser.Init(); err != nil {
		return err
	}
	ch := make(chan telegraf.Metric, 64)
	var wg sync.WaitGroup
	wg.Go(func() {
		for m := range ch {
			b, err := ser.Serialize(m)
			if err != nil {
				fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] serializing %s: %v\n", m.Name(), err)
				continue
			}
			if _, err := os.Stdout.Write(b); err != nil {
				fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] writing %s to stdout: %v\n", m.Name(), err)
			}
		}
	})
	acc := &errorRecorder{Accumulator: agent.NewAccumulator(maker{log}, ch)}
	acc.SetPrecision(time.Nanosecond)
	if err := input.Gather(acc); err != nil {
		acc.AddError(err)
	}
	close(ch)
	wg.Wait()
	if s, ok := input.(telegraf.ServiceInput); ok {
		s.Stop()
	}
	for _, err := range acc.errs {
		fmt.Fprintf(os.Stderr, "E! [inputs.libvirt_stats] %v\n", err)
	}
	if len(acc.errs) > 0 {
		return errGather
	}
	return nil
}
