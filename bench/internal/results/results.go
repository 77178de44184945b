package results

import (
	"slices"
	"time"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/harness"
)

// Tally is what one gather delivered: domains, parameters, metrics, fields.
type Tally struct {
	Domains int `json:"domains"` // records or domains covered
	Params  int `json:"params"`  // typed parameters or values
	Metrics int `json:"metrics"` // Telegraf metrics (0 where none are made)
	Fields  int `json:"fields"`
	Errors  int `json:"errors"` // per-domain call failures (legacy)
}

// GatherResult is one process's measurement of one contender: n gathers
// after warm-up, back to back. CPU (getrusage RUSAGE_SELF, every thread)
// and allocations are deltas over the n gathers.
type GatherResult struct {
	Contender string  `json:"contender"`
	Round     int     `json:"round"`
	Warmup    int     `json:"warmup"`
	N         int     `json:"n"`
	WallNs    []int64 `json:"wall_ns"` // each gather
	BlockNs   int64   `json:"block_ns"`
	UserNs    int64   `json:"user_ns"`
	SysNs     int64   `json:"sys_ns"`
	GoMallocs uint64  `json:"go_mallocs"`
	GoBytes   uint64  `json:"go_bytes"`
	CMallocs  int64   `json:"c_mallocs"` // -1: bench/cmalloc not preloaded
	NumGC     uint32  `json:"num_gc"`
	CtxSw     int64   `json:"ctx_switches"` // voluntary + involuntary, every thread
	Tally     Tally   `json:"tally"`        // of the last gather
}

// ScenarioResult is one scenario's rounds, RPC counts and host load.
type ScenarioResult struct {
	Scenario   string                      `json:"scenario"`
	Title      string                      `json:"title"`
	URI        string                      `json:"uri"`
	Contenders []string                    `json:"contenders"`
	Rounds     int                         `json:"rounds"`
	Warmup     int                         `json:"warmup"`
	N          int                         `json:"n"`
	Samples    []GatherResult              `json:"samples"`
	RPC        map[string]harness.RPCCount `json:"rpc"`
	IdleBefore float64                     `json:"host_idle_before"` // % of all CPUs idle before the rounds, nothing measured running
	IdleDuring float64                     `json:"host_idle_during"` // % idle over the rounds
	Revision   string                      `json:"revision"`         // git describe of the code measured
	Started    time.Time                   `json:"started"`
	Took       time.Duration               `json:"took"`
}

// ExecdResult is the execd binary driven as Telegraf's inputs.execd drives
// it with signal = "STDIN": a line on stdin, one gather on stdout.
type ExecdResult struct {
	Config    string    `json:"config"`
	Gathers   int       `json:"gathers"`
	Lines     int       `json:"lines_per_gather"`
	Bytes     int       `json:"bytes_per_gather"`
	WallNs    []int64   `json:"wall_ns"`   // line sent -> collector metric read, each gather
	CPUTicks  []int64   `json:"cpu_ticks"` // utime+stime after each gather (clock ticks)
	RSSKiB    []int64   `json:"rss_kib"`   // VmRSS after each gather
	HWMKiB    int64     `json:"hwm_kib"`   // VmHWM at the end
	AnonKiB   int64     `json:"anon_kib"`  // RssAnon at the end: heaps, stacks
	FileKiB   int64     `json:"file_kib"`  // RssFile at the end: the binary and shared libraries
	Threads   int       `json:"threads"`   // at the end
	TickHz    int       `json:"tick_hz"`   // clock ticks per second
	IdleHost  float64   `json:"host_idle_during"`
	Started   time.Time `json:"started"`
	Took      float64   `json:"took_s"`
	Binary    string    `json:"binary"`
	Collector string    `json:"last_collector_line"`
}

// Steady summarizes the execd run from gather `from` on: CPU per gather,
// RSS median and max.
func (r ExecdResult) Steady(from int) (cpuMs float64, rssMed, rssMax int64) {
	if from >= len(r.CPUTicks)-1 {
		from = 0
	}
	n := len(r.CPUTicks) - 1 - from
	cpuMs = float64(r.CPUTicks[len(r.CPUTicks)-1]-r.CPUTicks[from]) * 1000 / float64(r.TickHz) / float64(n)
	rs := slices.Clone(r.RSSKiB[from:])
	slices.Sort(rs)
	return cpuMs, rs[len(rs)/2], rs[len(rs)-1]
}

// AgentContenders are the whole-agent contenders, in the report's order; floor and plugin are the gather
// processes of the other scenarios, run in the same rounds.
var AgentContenders = []string{"agent-execd", "agent-compiled", "agent-inputs.libvirt", "limit-execd", "limit-compiled", "floor", "plugin"}

// AgentNames are the whole-agent contenders as the report names them.
var AgentNames = map[string]string{
	"agent-execd":          "stock Telegraf + `inputs.execd` + `telegraf-libvirt`",
	"agent-compiled":       "Telegraf with **`inputs.libvirt_stats`** compiled in",
	"agent-inputs.libvirt": "stock Telegraf with `inputs.libvirt`",
	"limit-execd":          "limit, execd: stock Telegraf + `inputs.execd` + `replayexec` (a recorded gather written back)",
	"limit-compiled":       "limit, compiled in: Telegraf + `inputs.tlvbench_replay` (the recorded gather's metrics, pre-built)",
	"floor":                "floor: bare C call + free (client CPU)",
	"plugin":               "`inputs.libvirt_stats` Gather alone (client CPU)",
}

// AgentSample is one contender's window of whole gathers in one round.
type AgentSample struct {
	Contender   string `json:"contender"`
	Round       int    `json:"round"`
	Window      int    `json:"window_s"`      // window length in intervals (1 s each)
	Gathers     int    `json:"gathers"`       // gathers whose metrics are stamped inside the window
	Metrics     int    `json:"metrics"`       // their metrics
	Fields      int    `json:"fields"`        // and fields
	CPUNs       int64  `json:"cpu_ns"`        // every process of the contender over the window
	ChildCPUNs  int64  `json:"child_cpu_ns"`  // the execd child alone
	RSSKiB      int64  `json:"rss_kib"`       // VmRSS of Telegraf at the end of the window
	ChildRSSKiB int64  `json:"child_rss_kib"` // VmRSS of the execd child
	LogErrors   int    `json:"log_errors"`    // E! lines in Telegraf's log
	LogOverruns int    `json:"log_overruns"`  // gathers that did not finish within the interval
	FirstError  string `json:"first_error,omitempty"`
}

// AgentCalib is what one gather of a contender delivers, from a run with
// outputs.file into a file, parsed back with Telegraf's influx parser.
type AgentCalib struct {
	Metrics int `json:"metrics"`
	Fields  int `json:"fields"`
	Bytes   int `json:"bytes"`
	Gathers int `json:"gathers_seen"`
}

// AgentResult is the whole-agent scenario's record: every round, calibration and configuration.
type AgentResult struct {
	Scenario   string                `json:"scenario"`
	Title      string                `json:"title"`
	URI        string                `json:"uri"`
	Rounds     int                   `json:"rounds"`
	Gathers    int                   `json:"gathers"`
	WarmupS    float64               `json:"warmup_s"`
	Contenders []string              `json:"contenders"`
	Agent      []AgentSample         `json:"agent"`
	Gather     []GatherResult        `json:"gather"`
	Calib      map[string]AgentCalib `json:"calib"`
	Recorded   AgentCalib            `json:"recorded"`
	Binaries   map[string]string     `json:"binaries"`
	Cgroup     string                `json:"cgroup"` // v1 or v2: where the CPU was counted
	Configs    map[string]string     `json:"configs"`
	IdleBefore float64               `json:"host_idle_before"`
	IdleDuring float64               `json:"host_idle_during"`
	Revision   string                `json:"revision"`
	Started    time.Time             `json:"started"`
	Took       time.Duration         `json:"took"`
}

// CgroupName is the kind of cgroup the run counted CPU in (a run from
// before v2 support has none recorded: it used v1).
func (a *AgentResult) CgroupName() string {
	if a.Cgroup == "v2" {
		return "cgroup v2"
	}
	return "cgroup v1 `cpuacct`"
}

// CgroupFile is the file of that group the CPU comes from.
func (a *AgentResult) CgroupFile() string {
	if a.Cgroup == "v2" {
		return "`cpu.stat` `usage_usec` (µs)"
	}
	return "`cpuacct.usage` (ns)"
}

// HostCase is one thing measured in a round: a client with its groups, or
// nothing (idle).
type HostCase struct {
	Name      string `json:"name"`      // unique, the report's key
	Contender string `json:"contender"` // gather's -contender; "" for idle
	Groups    string `json:"groups"`    // gather's -groups; "" for the default
}

// HostSample is one case's window in one round: CPU of libvirtd, QEMU and the client.
type HostSample struct {
	Case       string `json:"case"`
	Round      int    `json:"round"`
	Seq        int    `json:"seq"` // position in the round
	WindowNs   int64  `json:"window_ns"`
	Gathers    int    `json:"gathers"`
	LibvirtdNs int64  `json:"libvirtd_ns"`
	QEMUNs     int64  `json:"qemu_ns"`
	ClientNs   int64  `json:"client_ns"`
	QEMUs      int    `json:"qemus"` // QEMU processes alive over the window
	// Ticks: at least one process's CPU came from /proc/PID/stat's ticks
	// (a thread came or went in the window), not from schedstat's ns.
	Ticks bool `json:"ticks,omitempty"`
}

// HostResult is the host-cost scenario's record: its cases and every window.
type HostResult struct {
	Scenario   string        `json:"scenario"`
	Title      string        `json:"title"`
	URI        string        `json:"uri"`
	Rounds     int           `json:"rounds"`
	N          int           `json:"n"`
	IntervalS  float64       `json:"interval_s"`
	Cases      []HostCase    `json:"cases"`
	Samples    []HostSample  `json:"samples"`
	TickHz     int           `json:"tick_hz"`
	Schedstat  bool          `json:"schedstat"` // CPU from the threads' schedstat (ns) where no thread came or went
	Bracket    bool          `json:"bracket"`   // an idle window around every case
	IdleBefore float64       `json:"host_idle_before"`
	IdleDuring float64       `json:"host_idle_during"`
	Revision   string        `json:"revision"`
	Started    time.Time     `json:"started"`
	Took       time.Duration `json:"took"`
}

// SharedGroups are the groups both clients know (inputs.libvirt has no vm group): the
// "same groups" of the comparison.
var SharedGroups = []string{"state", "cpu_total", "balloon", "vcpu", "interface", "block", "perf", "iothread", "memory", "dirtyrate"}

// RPCGathers is how many gathers a contender's RPC count covers, after
// one warm-up gather.
const RPCGathers = 3
