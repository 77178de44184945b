//go:build cgo && linux

package libvirt_stats

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
