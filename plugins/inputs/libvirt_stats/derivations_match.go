//go:build cgo && linux

package libvirt_stats

import (
	"fmt"
	"strings"
)

// derivations_match.go: the derivations' key patterns, compiled once into
// matchers that find a raw key's rows with a few comparisons.

// matcher is one pattern of a row's key or inputs with its braces
// expanded: block.<n>.{rd,wr}.times gives block.<n>.rd.times and
// block.<n>.wr.times.
type matcher struct {
	row      *derivation // nil: the pattern of an input, which derives nothing itself
	fam      byte        // 0: a key of the domain; 'b' block, 'n' net, 'v' vcpu (deviceKey's)
	rest     string      // fam 0: the key; else the key after <n>. ("time", or "*.bytes")
	suffix   string      // rest after its "*", if it has one
	star     bool
	tail     string // the pattern after its last placeholder: what name and inputs replace
	nameTail string
	inputs   []string // per input: its tail, or the whole key for an input without placeholders
	indexed  []bool   // per input: whether it has placeholders
}

// matches tells whether k (a counter of the matcher's family) is the
// pattern's.
func (m *matcher) matches(k counterKey) bool {
	if m.star {
		return len(k.rest) > len(m.suffix) && strings.HasSuffix(k.rest, m.suffix)
	}
	return k.rest == m.rest
}

// inputKeys appends the counters of m's inputs for the raw key's k.
func (m *matcher) inputKeys(k counterKey, buf []counterKey) []counterKey {
	for i, in := range m.inputs {
		if !m.indexed[i] {
			buf = append(buf, counterKey{rest: in})
			continue
		}
		ik := k
		ik.rest = k.rest[:len(k.rest)-len(m.tail)] + in
		buf = append(buf, ik)
	}
	return buf
}

// anyMatch tells whether one of ms matches k.
func anyMatch(ms []*matcher, k counterKey) bool {
	for _, m := range ms {
		if m.matches(k) {
			return true
		}
	}
	return false
}

// matchers are every row's patterns: by the domain's key, or by family.
type matchers struct {
	domain map[string][]*matcher
	byFam  map[byte][]*matcher
}

var derivedMatchers = compileDerivations(derivations)

func compileDerivations(rows []derivation) matchers {
	ms := matchers{domain: map[string][]*matcher{}, byFam: map[byte][]*matcher{}}
	inputs := map[string]bool{} // an input's pattern is needed once
	add := func(m *matcher) {
		if m.fam == 0 {
			ms.domain[m.rest] = append(ms.domain[m.rest], m)
		} else {
			ms.byFam[m.fam] = append(ms.byFam[m.fam], m)
		}
	}
	for i := range rows {
		row := &rows[i]
		keys, names := expand(row.key), expand(row.name)
		if len(names) != len(keys) {
			panic(fmt.Sprintf("derivation %s: name %s has other alternatives", row.key, row.name))
		}
		for j, key := range keys {
			m := compilePattern(key)
			m.row, m.nameTail = row, tailOf(names[j])
			for _, in := range row.inputs {
				ins := expand(in)
				concrete := ins[min(j, len(ins)-1)]
				im := compilePattern(concrete)
				if !inputs[concrete] {
					inputs[concrete] = true
					add(im)
				}
				m.inputs = append(m.inputs, tailOf(concrete))
				m.indexed = append(m.indexed, im.fam != 0)
			}
			add(m)
		}
	}
	return ms
}

// compilePattern parses one pattern without braces.
func compilePattern(p string) *matcher {
	m := &matcher{rest: p, tail: tailOf(p)}
	if fam, rest, ok := strings.Cut(p, ".<n>."); ok {
		f, _, _, ok := deviceKey(fam + ".0.x")
		if !ok {
			panic(fmt.Sprintf("derivation pattern %s: no counters are kept for %s.<n>", p, fam))
		}
		m.fam, m.rest = f, rest
	}
	m.suffix, m.star = strings.CutPrefix(m.rest, "*")
	return m
}

// tailOf is a pattern's text after its last placeholder, or all of it.
func tailOf(p string) string {
	i := -1
	if j := strings.LastIndex(p, "<n>."); j >= 0 {
		i = j + len("<n>.")
	}
	if j := strings.LastIndex(p, "*"); j >= 0 && j+1 > i {
		i = j + 1
	}
	if i < 0 {
		return p
	}
	return p[i:]
}

// expand writes out a pattern's {a,b} alternatives, first brace first.
func expand(p string) []string {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		return []string{p}
	}
	closing := open + strings.IndexByte(p[open:], '}')
	var out []string
	for _, alt := range strings.Split(p[open+1:closing], ",") {
		out = append(out, expand(p[:open]+alt+p[closing+1:])...)
	}
	return out
}
