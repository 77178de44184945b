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

// episode follows a condition from gather to gather, so that a situation
// is logged when it starts and when it ends, and at debug in between.
type episode struct {
	active  bool
	gathers int // gathers with the condition in the current (or last) episode
}

type episodeStep int

const (
	episodeQuiet episodeStep = iota // the condition is absent and was absent
	episodeStarts
	episodeGoesOn
	episodeEnds
)

// step takes whether this gather has the condition.
func (e *episode) step(on bool) episodeStep {
	switch {
	case on && !e.active:
		e.active, e.gathers = true, 1
		return episodeStarts
	case on:
		e.gathers++
		return episodeGoesOn
	case e.active:
		e.active = false
		return episodeEnds
	}
	return episodeQuiet
}
