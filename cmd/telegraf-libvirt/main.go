//go:build cgo && linux

// Command telegraf-libvirt runs the libvirt_stats input outside Telegraf,
// for Telegraf's inputs.execd: line protocol on stdout, one gather per
// interval or per line on stdin.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/influxdata/telegraf/models"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
	_ "github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats"
)

func main() {
	configFile := flag.String("config", "", "TOML file with one [[inputs.libvirt_stats]] table, Telegraf's per-plugin options included (default: the plugin's defaults)")
	pollInterval := flag.Duration("poll_interval", 10*time.Second, "how often to gather (default: the table's interval if it sets one, else 10s)")
	pollDisabled := flag.Bool("poll_interval_disabled", false, "gather only when a line arrives on stdin (execd signal = \"STDIN\")")
	once := flag.Bool("once", false, "gather once, print line protocol (uint64 with the u suffix) and exit; non-zero exit if the gather failed")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(versionString())
		return
	}
	setupLogging()
	ri, err := loadInput(*configFile)
	if err != nil {
		fatalf("loading config: %v", err)
	}
	setLogLevel(ri.Config.LogLevel)
	if err := ri.Init(); err != nil {
		fatalf("%v", err)
	}
	if *once {
		if err := runOnce(ri); err != nil {
			os.Exit(1)
		}
		return
	}
	interval := *pollInterval
	if !flagSet("poll_interval") && ri.Config.Interval > 0 {
		interval = ri.Config.Interval
	}
	if *pollDisabled {
		interval = 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, ri, interval, pollableStdin(), os.Stdout); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "E! [inputs.%s] "+format+"\n", append([]any{pluginName}, args...)...)
	os.Exit(1)
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// serve is Telegraf's execd shim loop (plugins/common/shim): a gather at
// every interval (none if interval <= 0) and for every line on stdin (lines
// arriving during a gather make one more gather, not one each); it returns
// when stdin ends or ctx is done (SIGTERM, SIGINT), after the gather in
// progress, and stops the input. Each gather is written with one write.
func serve(ctx context.Context, ri *models.RunningInput, interval time.Duration, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// uint64 as integers (i), as the shim's serializer wrote them: the field
	// types Telegraf and its outputs have seen from this binary so far.
	acc := newLineAccumulator(ri, false)
	if err := ri.Start(acc); err != nil {
		return fmt.Errorf("failed to start input: %w", err)
	}
	defer ri.Stop()

	prompt := make(chan struct{}, 1)
	go func() {
		scanner := bufio.NewScanner(stdin)
		for scanner.Scan() {
			select {
			case prompt <- struct{}{}:
			default:
			}
		}
		cancel()
	}()
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
			return nil
		case <-prompt:
		case <-tick:
		}
		if _, err := acc.gather(stdout); err != nil {
			return fmt.Errorf("writing metrics: %w", err)
		}
	}
	return nil
}

// runOnce does one gather and prints it with uint64 kept (the u suffix).
func runOnce(ri *models.RunningInput) error {
	acc := newLineAccumulator(ri, true)
	if err := ri.Start(acc); err != nil {
		fmt.Fprintf(os.Stderr, "E! [inputs.%s] failed to start input: %v\n", pluginName, err)
		return err
	}
	defer ri.Stop()
	errs, err := acc.gather(os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "E! [inputs.%s] writing metrics: %v\n", pluginName, err)
		return err
	}
	if errs > 0 {
		return errGather
	}
	return nil
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
