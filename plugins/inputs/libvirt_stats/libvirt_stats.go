//go:build cgo && linux

//go:generate go test -count=1 -run ^TestGeneratedDocs$ . -update
//go:generate ../../../tools/readme_config_includer/generator
package libvirt_stats

import (
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/filter"
	"github.com/influxdata/telegraf/plugins/inputs"
	"libvirt.org/go/libvirt"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/domstats"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/version"
)

//go:embed sample.conf
var sampleConfig string

const defaultURI = "qemu:///system"

// LibvirtStats gathers the statistics of every domain of a libvirt host
// with one bulk call per gather.
type LibvirtStats struct {
	Options

	Log telegraf.Logger `toml:"-"`

	stats        uint32         // VIR_DOMAIN_STATS_* mask
	listFlags    uint32         // state filters
	callFlags    uint32         // NOWAIT, BACKING, ENFORCE_STATS
	nameMatch    filter.Filter  // nil: no name filter, one RPC per gather
	deviceLayout bool           // layout = "device"; else "domain"
	meta         *metadataCache // nil: no metadata_tags

	conv     *domstats.Converter
	draft    draft    // reused for every domain's metric
	split    splitter // reused for every domain in the device layout
	pool     *connPool
	caller   *caller
	complete *completeness
	counters counters
	derive   *deriver // nil: derived = false
	// partialLog logs partial domains when they start and stop coming back
	partialLog partialLog
	absent     absentGroups // warns once about named groups no domain returned
}

func (*LibvirtStats) SampleConfig() string {
	return sampleConfig
}

func (l *LibvirtStats) Init() error {
	if l.URI == "" {
		return fmt.Errorf("libvirt_uri is empty; give a libvirt URI such as %q, \"qemu+ssh://host/system\" or \"test:///default\"", defaultURI)
	}
	if l.Timeout <= 0 {
		return fmt.Errorf("timeout %s must be positive", time.Duration(l.Timeout))
	}
	var err error
	if l.stats, err = groupMask(l.StatisticsGroups); err != nil {
		return fmt.Errorf("statistics_groups: %w", err)
	}
	if l.listFlags, err = stateFlags(l.DomainStates); err != nil {
		return fmt.Errorf("domain_states: %w", err)
	}
	if l.Enforce && l.stats == 0 {
		return errors.New("enforce = true needs statistics_groups: libvirt enforces only groups that are named")
	}
	if len(l.Domains) > 0 || len(l.DomainsExclude) > 0 {
		if l.nameMatch, err = nameFilter(l.Domains, l.DomainsExclude); err != nil {
			return err
		}
	}
	if l.Backing {
		l.callFlags |= uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_BACKING)
	}
	if l.Enforce {
		l.callFlags |= uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)
	}
	if l.NoWait {
		l.callFlags |= uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
	}
	if err := l.initTags(); err != nil {
		return err
	}
	l.conv = domstats.NewConverter()
	l.pool = &connPool{uri: l.URI, readOnly: l.ReadOnly, username: l.Username, password: l.Password, log: l.Log}
	if l.meta != nil {
		l.pool.opened = l.meta.connected
	}
	l.caller = callerFor(l.URI)
	libvirtLog.Store(&l.Log)
	l.complete = newCompleteness()
	if l.Derived {
		l.derive = newDeriver()
	}
	// The release this Telegraf (or telegraf-libvirt binary) carries: a
	// custom Telegraf build has no other place that shows it.
	l.Log.Infof("telegraf-libvirt %s, libvirt_uri %q", version.String(), l.URI)
	return nil
}

// initTags checks and prepares layout, metadata_tags and their options.
func (l *LibvirtStats) initTags() error {
	if l.Layout == "" {
		l.Layout = layoutDomain
	}
	if err := validLayout(l.Layout); err != nil {
		return err
	}
	l.deviceLayout = l.Layout == layoutDevice
	if l.MetadataRefreshInterval < 0 {
		return fmt.Errorf("metadata_refresh_interval %s must not be negative", time.Duration(l.MetadataRefreshInterval))
	}
	if len(l.MetadataTags) == 0 {
		return nil
	}
	queries, err := compileMetadataTags(l.MetadataTags, l.MetadataNamespaces)
	if err != nil {
		return err
	}
	l.meta = newMetadataCache(queries, time.Duration(l.MetadataRefreshInterval), l.Log)
	return nil
}

func (l *LibvirtStats) Gather(acc telegraf.Accumulator) error {
	start := time.Now()
	recs, fellBack, err := l.fetch()
	var partial int
	if err != nil {
		acc.AddError(err)
	} else {
		partial = l.shape(acc, recs, start)
		l.partialLog.observe(l.Log, partial, len(recs))
		l.absent.observe(l.Log, l.stats, l.Enforce, recs)
	}
	l.counters.record(err, fellBack, len(recs), partial)
	if l.CollectorMetrics {
		acc.AddMetric(l.collectorMetric(start))
	}
	return nil
}

// shape adds the metrics of one gather's records, gathered at ts, and
// returns how many were partial. What is kept per domain is then dropped
// for the domains the gather did not return.
func (l *LibvirtStats) shape(acc telegraf.Accumulator, recs []domstats.Record, ts time.Time) (partial int) {
	for _, r := range recs {
		missing := l.complete.missing(r)
		if missing != nil {
			partial++
		}
		l.emit(acc, r, ts, missing)
	}
	l.complete.forgetUnseen()
	if l.derive != nil {
		l.derive.forgetUnseen()
	}
	if l.meta != nil {
		l.meta.forgetUnseen()
	}
	return partial
}

// fetch gets the records by the deadline; each call takes a connection of
// its own (see connPool).
func (l *LibvirtStats) fetch() ([]domstats.Record, bool, error) {
	recs, fellBack, err := l.caller.fetch(time.Duration(l.Timeout), l.Log, func(nowait bool) ([]domstats.Record, error) {
		pc, err := l.pool.acquire()
		if err != nil {
			return nil, err
		}
		recs, err := l.query(pc.conn, nowait)
		l.pool.release(pc, err)
		return recs, err
	})
	var derr *dialError
	if err != nil && !errors.As(err, &derr) {
		err = fmt.Errorf("getting domain stats from %q: %w", l.URI, err)
	}
	return recs, fellBack, err
}

// nameFilter compiles the domain globs, naming the pattern that does not
// compile.
func nameFilter(include, exclude []string) (filter.Filter, error) {
	for option, patterns := range map[string][]string{"domains": include, "domains_exclude": exclude} {
		for _, pat := range patterns {
			if _, err := filter.Compile([]string{pat}); err != nil {
				return nil, fmt.Errorf("%s: invalid glob %q (%w); use *, ?, [abc], [a-z], [!a] and {x,y}", option, pat, err)
			}
		}
	}
	return filter.NewIncludeExcludeFilter(include, exclude)
}

// query makes the bulk call, then reads the XML of the domains whose
// metadata tags are not cached, all within the gather's deadline.
func (l *LibvirtStats) query(conn *libvirt.Connect, nowait bool) ([]domstats.Record, error) {
	recs, err := l.bulk(conn, nowait)
	if err == nil && l.meta != nil {
		l.meta.resolve(conn, recs)
	}
	return recs, err
}

// bulk makes the bulk call; nowait forces VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT
// for the fallback call that answers when the first one overruns.
func (l *LibvirtStats) bulk(conn *libvirt.Connect, nowait bool) ([]domstats.Record, error) {
	flags := l.callFlags
	if nowait {
		flags |= uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)
	}
	var recs []domstats.Record
	var err error
	if l.nameMatch == nil {
		recs, err = l.conv.GetAll(conn, l.stats, flags|l.listFlags)
	} else {
		recs, err = l.conv.GetMatching(conn, l.listFlags, l.stats, flags, l.nameMatch.Match)
	}
	return recs, explainUnsupported(err)
}

// Start is a no-op: the connection opens at the first gather, so Telegraf
// may start before libvirtd.
func (*LibvirtStats) Start(telegraf.Accumulator) error { return nil }

// Stop closes the connection.
func (l *LibvirtStats) Stop() {
	if l.pool != nil {
		l.pool.close()
	}
}

func init() {
	inputs.Add("libvirt_stats", func() telegraf.Input {
		return &LibvirtStats{Options: Options{
			URI:      defaultURI,
			NoWait:   true,
			ReadOnly: true,
			Timeout:  config.Duration(5 * time.Second),
			Layout:   layoutDomain,
		}}
	})
}
