//go:build cgo && linux

package libvirt_stats

// seen.go: what the plugin keeps per domain (the completeness reference,
// the derived fields' last sample, the metadata tags) lives as long as the
// gathers return the domain: each keeper marks the domains a gather
// returned and, at the gather's end, forgets the others.

// seenDomains is the UUIDs of the domains the current gather returned.
type seenDomains map[string]struct{}

func (s seenDomains) see(uuid string) { s[uuid] = struct{}{} }

// forgetUnseen deletes from kept the domains not in seen. The caller
// clears seen when it is done with every map it keeps.
func forgetUnseen[V any](kept map[string]V, seen seenDomains) {
	for uuid := range kept {
		if _, ok := seen[uuid]; !ok {
			delete(kept, uuid)
		}
	}
}
