package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/telegraf-libvirt/telegraf-libvirt/bench/internal/results"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/influxdata/telegraf/logger"
	"github.com/influxdata/telegraf/plugins/inputs"
	tglibvirt "github.com/influxdata/telegraf/plugins/inputs/libvirt"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats/domstatstest"
	"github.com/telegraf-libvirt/telegraf-libvirt/plugins/inputs/libvirt_stats"
)

// A contender is one way of getting a host's domain statistics.
type contender interface {
	open() error
	// gather is what is measured: one collection of every domain.
	gather() error
	// tally is what the last gather delivered; it runs outside the timed
	// part but inside the CPU and allocation window (it only counts).
	tally() results.Tally
	close()
}

var contenders = map[string]func(uri string) contender{
	"floor":     func(uri string) contender { return &floor{uri: uri, stats: allGroups, flags: nowait} },
	"floor-tg":  func(uri string) contender { return &floor{uri: uri, stats: telegrafGroups, flags: telegrafFlags} },
	"plugin":    func(uri string) contender { return &plugin{uri: uri} },
	"telegraf":  func(uri string) contender { return &telegrafLibvirt{uri: uri} },
	"golibvirt": func(uri string) contender { return &goLibvirt{uri: uri} },
	"legacy":    func(uri string) contender { return &legacy{uri: uri} },
	"recommended": func(uri string) contender {
		return &recommended{fast: &plugin{uri: uri, groups: recommendedFast}, slow: &plugin{uri: uri, groups: recommendedSlow}, every: recommendedEvery}
	},
}

// contenderNames are the contenders' names, sorted, for error messages.
func contenderNames() []string {
	return slices.Sorted(maps.Keys(contenders))
}

// gatherGroups is gather's -groups: the statistics_groups the plugin and
// Telegraf's inputs.libvirt are configured with (nil: their defaults).
var gatherGroups []string

// examples/recommended.conf: two inputs.libvirt_stats tables, the groups
// charted every interval (10 s) and those that change slowly or cost the
// host most for little every sixth (60 s).
var (
	recommendedFast  = []string{"state", "cpu_total", "vcpu", "interface", "block"}
	recommendedSlow  = []string{"balloon", "iothread", "dirtyrate", "perf", "memory", "vm"}
	recommendedEvery = 6
)

// flags of the plugin's default call, used by floor and golibvirt too:
// every group the hypervisor supports (0), NOWAIT.
const (
	allGroups = 0
	nowait    = uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
)

// What Telegraf's inputs.libvirt asks for: the groups it knows (state ...
// dirtyrate, 1023: not vm), every state, no NOWAIT.
const (
	telegrafGroups = 1023
	telegrafFlags  = uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_RUNNING | libvirt.CONNECT_GET_ALL_DOMAINS_STATS_PAUSED |
		libvirt.CONNECT_GET_ALL_DOMAINS_STATS_SHUTOFF | libvirt.CONNECT_GET_ALL_DOMAINS_STATS_OTHER)
)

// floor: the bare virConnectGetAllDomainStats call and its free (floor-tg:
// the same with inputs.libvirt's groups and flags).
type floor struct {
	uri          string
	stats, flags uint32
	conn         *libvirt.Connect
	last         results.Tally
}

func (f *floor) open() (err error) {
	f.conn, err = libvirt.NewConnect(f.uri)
	return err
}

func (f *floor) gather() error {
	n, params, err := domstatstest.Floor(f.conn, f.stats, f.flags)
	f.last = results.Tally{Domains: n, Params: params}
	return err
}

func (f *floor) tally() results.Tally { return f.last }
func (f *floor) close()               { _, _ = f.conn.Close() }

// plugin: this module's libvirt_stats Gather, as Telegraf creates it, on
// the same socket as the others (read_only = false: Telegraf's inputs.libvirt
// and go-libvirt use the read-write socket).
type plugin struct {
	uri    string
	groups []string // nil: gatherGroups
	p      *libvirt_stats.LibvirtStats
	sink   *sink
}

func (p *plugin) open() error {
	log := logger.New("inputs", "libvirt_stats", "")
	p.p = inputs.Inputs["libvirt_stats"]().(*libvirt_stats.LibvirtStats)
	p.p.URI = p.uri
	p.p.ReadOnly = false
	p.p.StatisticsGroups = gatherGroups
	if p.groups != nil {
		p.p.StatisticsGroups = p.groups
	}
	p.p.Log = log
	p.sink = newSink(log, "libvirt_stats")
	return p.p.Init()
}

func (p *plugin) gather() error {
	return p.sink.gather(p.p)
}

func (p *plugin) tally() results.Tally { return p.sink.drain() }
func (p *plugin) close()               { p.p.Stop() }

// telegraf: Telegraf's own inputs.libvirt (go-libvirt underneath), every
// statistics group it knows, no vcpu_mapping.
type telegrafLibvirt struct {
	uri  string
	p    *tglibvirt.Libvirt
	sink *sink
}

func (t *telegrafLibvirt) open() error {
	log := logger.New("inputs", "libvirt", "")
	t.p = inputs.Inputs["libvirt"]().(*tglibvirt.Libvirt)
	t.p.LibvirtURI = t.uri
	if gatherGroups != nil {
		t.p.StatisticsGroups = gatherGroups
	}
	t.p.Log = log
	t.sink = newSink(log, "libvirt_state")
	return t.p.Init()
}

func (t *telegrafLibvirt) gather() error {
	return t.sink.gather(t.p)
}

func (t *telegrafLibvirt) tally() results.Tally {
	tl := t.sink.drain()
	tl.Params = 0 // its fields are derived, not libvirt's parameters one for one
	return tl
}

func (t *telegrafLibvirt) close() {}

// recommended: examples/recommended.conf in one process, the way Telegraf
// runs its two tables: the fast table every gather, the slow one every
// every-th, starting with the first measured gather (a window of a
// multiple of every gathers holds its share of slow gathers exactly).
type recommended struct {
	fast, slow contender
	every, n   int
}

func (r *recommended) open() error { return errors.Join(r.fast.open(), r.slow.open()) }

func (r *recommended) measuring() { r.n = 0 }

func (r *recommended) gather() error {
	defer func() { r.n++ }()
	if err := r.fast.gather(); err != nil {
		return err
	}
	if r.n%r.every == 0 {
		return r.slow.gather()
	}
	return nil
}

func (r *recommended) tally() results.Tally {
	f, s := r.fast.tally(), r.slow.tally()
	return results.Tally{Domains: f.Domains, Params: f.Params + s.Params, Metrics: f.Metrics + s.Metrics, Fields: f.Fields + s.Fields}
}

func (r *recommended) close() { r.fast.close(); r.slow.close() }

// golibvirt: go-libvirt's own ConnectGetAllDomainStats (Telegraf's
// transport) with the plugin's flags, over the same socket; the records are
// decoded by go-libvirt and not turned into metrics.
type goLibvirt struct {
	uri  string
	l    *golibvirt.Libvirt
	last results.Tally
}

func (g *goLibvirt) open() error {
	sock, name, err := goURI(g.uri)
	if err != nil {
		return err
	}
	g.l = golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(sock)))
	return g.l.ConnectToURI(golibvirt.ConnectURI(name))
}

func (g *goLibvirt) gather() error {
	recs, err := g.l.ConnectGetAllDomainStats(nil, allGroups, nowait)
	g.last = results.Tally{Domains: len(recs)}
	for _, r := range recs {
		g.last.Params += len(r.Params)
	}
	return err
}

func (g *goLibvirt) tally() results.Tally { return g.last }
func (g *goLibvirt) close()               { _ = g.l.Disconnect() }

// goURI turns a libvirt client URI (driver+unix:///path?socket=S) into the
// socket go-libvirt dials and the URI it asks the daemon to open.
func goURI(uri string) (socket, name string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", err
	}
	driver, transport, _ := strings.Cut(u.Scheme, "+")
	if transport != "" && transport != "unix" {
		return "", "", fmt.Errorf("%s: only local unix sockets are supported", uri)
	}
	socket = "/var/run/libvirt/libvirt-sock"
	if s := u.Query().Get("socket"); s != "" {
		socket = s
	}
	return socket, driver + "://" + u.Host + u.Path, nil
}
