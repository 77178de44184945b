// Command telegraf-libvirt runs the libvirt_stats input outside Telegraf,
// for Telegraf's inputs.execd: line protocol on stdout, one gather per
// interval or per line on stdin.
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/agent"
	"github.com/influxdata/telegraf/logger"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/common/shim"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
	_ "github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats"
)

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

	logForExecd(os.Stderr)
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

// versionString is the package version (internal/version, the one place
// it is kept) and the version of the libvirt library the binary runs
// against, which is the host's, not the build host's.
func versionString() string {
	lib := "libvirt version unknown"
	if n, err := libvirt.GetVersion(); err == nil {
		lib = fmt.Sprintf("libvirt %d.%d.%d", n/1000000, n/1000%1000, n%1000)
	}
	if version.Commit != "" {
		lib += "; built from commit " + version.Commit
	}
	return fmt.Sprintf("telegraf-libvirt %s (%s)", version.Version, lib)
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
			os.Stdout.Write(b)
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
