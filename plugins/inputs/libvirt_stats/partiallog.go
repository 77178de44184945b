//go:build cgo && linux

package libvirt_stats

import "github.com/influxdata/telegraf"

// partialLog reports partial domains as episodes: under NOWAIT a domain
// whose job lock is busy comes back partial, which is normal, so the log
// says when such an episode starts and when it ends (at info, with counts)
// and each gather in between only at debug.
type partialLog struct {
	episode
	most int // the most partial domains in one gather of the episode
}

// observe takes one successful gather's count of partial domains.
func (p *partialLog) observe(log telegraf.Logger, partial, total int) {
	switch p.step(partial > 0) {
	case episodeStarts:
		p.most = partial
		log.Infof("%d of %d domains came back partial (fields partial, partial_groups); "+
			"logged at debug until every domain is complete again", partial, total)
	case episodeGoesOn:
		p.most = max(p.most, partial)
		log.Debugf("%d of %d domains came back partial", partial, total)
	case episodeEnds:
		log.Infof("All %d domains complete again; partial domains were in %d gather(s), at most %d at once",
			total, p.gathers, p.most)
	}
}
