package libvirt_stats

import "github.com/influxdata/telegraf/config"

// Options are the plugin's options as Telegraf's TOML names them. Both
// builds embed this one definition, the cgo one (libvirt_stats.go) and the
// one without cgo (libvirt_stats_nocgo.go), so that a configuration written
// for one loads in the other; TestNoCgoOptionsMatch keeps every option
// here.
type Options struct {
	URI              string          `toml:"libvirt_uri"`
	StatisticsGroups []string        `toml:"statistics_groups"`
	Domains          []string        `toml:"domains"`
	DomainsExclude   []string        `toml:"domains_exclude"`
	DomainStates     []string        `toml:"domain_states"`
	NoWait           bool            `toml:"nowait"`
	Backing          bool            `toml:"backing"`
	Enforce          bool            `toml:"enforce"`
	Timeout          config.Duration `toml:"timeout"`
	ReadOnly         bool            `toml:"read_only"`
	Username         config.Secret   `toml:"username"`
	Password         config.Secret   `toml:"password"`
	CollectorMetrics bool            `toml:"collector_metrics"`

	Layout                  string            `toml:"layout"`
	MetadataTags            map[string]string `toml:"metadata_tags"`
	MetadataNamespaces      map[string]string `toml:"metadata_namespaces"`
	MetadataRefreshInterval config.Duration   `toml:"metadata_refresh_interval"`
	StateNames              bool              `toml:"state_names"`
	Derived                 bool              `toml:"derived"`
}
