//go:build cgo && linux

package libvirt_stats

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// docs_gen_test.go: the parts of the docs that list the statistics groups
// and the derived fields are written from groups.go's and derivations.go's
// tables. `go generate` (the directive in libvirt_stats.go) runs this test
// with -update to write them; without -update it fails while a doc is not
// what the tables give, so a table and its docs cannot drift apart.

var updateDocs = flag.Bool("update", false, "write the generated parts of README.md, sample.conf and docs/derived.md")

// generated is one part of a file written from a table: the text between
// the line that starts with begin and the line that starts with end, or
// from the begin line on if withBegin (sample.conf has no room for
// markers: its comment is the text).
type generated struct {
	file, begin, end string
	text             func() string
	withBegin        bool
}

func generatedParts() []generated {
	return []generated{
		{"README.md", "<!-- statistics groups: generated", "<!-- end of statistics groups", groupTable, false},
		{"README.md", "  <!-- derived fields: generated", "  <!-- end of derived fields", derivedList, false},
		{"sample.conf", "  ## Statistics groups to ask for;", "  # statistics_groups =", groupsComment, true},
		{"../../../docs/derived.md", "<!-- derived fields: generated", "<!-- end of derived fields", derivedTable, false},
	}
}

func TestGeneratedDocs(t *testing.T) {
	for _, g := range generatedParts() {
		b, err := os.ReadFile(g.file)
		require.NoError(t, err)
		lines := strings.SplitAfter(string(b), "\n")
		begin, end := -1, -1
		for i, l := range lines {
			if begin < 0 && strings.HasPrefix(l, g.begin) {
				begin = i
			} else if begin >= 0 && strings.HasPrefix(l, g.end) {
				end = i
				break
			}
		}
		require.True(t, begin >= 0 && end > begin, "%s: no lines %q ... %q", g.file, g.begin, g.end)
		keep := begin + 1
		if g.withBegin {
			keep = begin
		}
		want := strings.Join(lines[:keep], "") + g.text() + strings.Join(lines[end:], "")
		if *updateDocs {
			require.NoError(t, os.WriteFile(g.file, []byte(want), 0o644))
			continue
		}
		require.Equal(t, want, string(b), "%s is not what the tables give: run go generate ./plugins/inputs/libvirt_stats", filepath.Base(g.file))
	}
}

// groupTable is the README's table of statistics groups.
func groupTable() string {
	var b strings.Builder
	b.WriteString("| group | libvirt | device layout (`layout = \"device\"`): keys → measurement |\n|---|---|---|\n")
	for _, g := range statsGroups {
		var fams []string
		for _, r := range g.families {
			fams = append(fams, familyDoc(r.prefix+"N.", r.fam, r.fieldPrefix)...)
		}
		devices := strings.Join(fams, "<br>")
		if devices == "" {
			devices = "on the domain's metric"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", g.name, g.since, devices)
	}
	return b.String()
}

// familyDoc describes where the keys under prefix go, children included.
func familyDoc(prefix string, f *family, fieldPrefix string) []string {
	out := []string{fmt.Sprintf("`%s*` → `%s`", prefix, f.measurement)}
	if fieldPrefix != "" {
		out[0] += fmt.Sprintf(" as `%s*`", fieldPrefix)
	}
	// A rename is of the field's whole name: not under a field prefix.
	for _, r := range f.renames {
		if fieldPrefix == "" {
			out[0] += fmt.Sprintf(", `%s%s` as `%s`", prefix, r.key, r.field)
		}
	}
	for _, c := range f.children {
		out = append(out, familyDoc(prefix+c.prefix+c.indexDoc, c, "")...)
	}
	return out
}

// groupsComment is sample.conf's comment on statistics_groups.
func groupsComment() string {
	names := make([]string, len(statsGroups))
	for i, g := range statsGroups {
		names[i] = g.name
	}
	return wrapComment("Statistics groups to ask for; empty or missing means every group the "+
		"hypervisor supports. Valid: "+strings.Join(names, ", "), "  ## ", 78)
}

// wrapComment wraps text into lines of at most width with prefix.
func wrapComment(text, prefix string, width int) string {
	var b strings.Builder
	line := prefix
	for _, w := range strings.Fields(text) {
		if line != prefix && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = prefix
		}
		if line != prefix {
			line += " "
		}
		line += w
	}
	return b.String() + line + "\n"
}

// docPattern writes a derivation's pattern as the docs do: N for <n>.
func docPattern(p string) string {
	return strings.ReplaceAll(p, "<n>", "N")
}

// derivedTable is docs/derived.md's table of derived fields.
func derivedTable() string {
	var b strings.Builder
	b.WriteString("| field | type, unit | computed as |\n|---|---|---|\n")
	for _, d := range derivations {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", docPattern(d.name), d.unit, d.formula)
	}
	return b.String()
}

// derivedList is the README's list of derived fields, in its list of
// metrics.
func derivedList() string {
	var b strings.Builder
	for _, d := range derivations {
		fmt.Fprintf(&b, "  - %s (%s): %s\n", docPattern(d.name), d.unit, strings.ReplaceAll(d.formula, "`", ""))
	}
	return b.String()
}
