package libvirt_stats

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/influxdata/telegraf/config"
	"github.com/stretchr/testify/require"
)

// This file builds with and without cgo: a configuration written for one
// build must load in the other.

// everyOption is sample.conf with every option uncommented.
func everyOption(t *testing.T) string {
	t.Helper()
	option := regexp.MustCompile(`^  # ( *[a-z\[])`)
	var b strings.Builder
	n := 0
	for line := range strings.Lines(sampleConfig) {
		if option.MatchString(line) {
			line = option.ReplaceAllString(line, "  $1")
			n++
		}
		b.WriteString(line)
	}
	require.Greater(t, n, 20, "sample.conf's commented options not found")
	return b.String()
}

// Telegraf's own loader takes every option of sample.conf: none is unknown
// to the build's LibvirtStats.
func TestEveryOptionLoadsInTelegraf(t *testing.T) {
	c := config.NewConfig()
	require.NoError(t, c.LoadConfigData([]byte(everyOption(t)), "sample.conf"))
	require.Len(t, c.Inputs, 1)
	ls, ok := c.Inputs[0].Input.(*LibvirtStats)
	require.True(t, ok)
	require.Equal(t, "domain", ls.Layout)
	require.Len(t, ls.MetadataTags, 6)
}

// The options are defined once, in Options (options.go): both builds'
// LibvirtStats (libvirt_stats.go, libvirt_stats_nocgo.go) embed it and have
// no exported field of their own but Telegraf's logger, so an option added
// to one build's struct instead of Options fails here.
func TestNoCgoOptionsMatch(t *testing.T) {
	want := []string{"Options", "Log telegraf.Logger `toml:\"-\"`"}
	require.Equal(t, want, exportedFields(t, "libvirt_stats.go"))
	require.Equal(t, want, exportedFields(t, "libvirt_stats_nocgo.go"))
	require.Greater(t, reflect.TypeFor[Options]().NumField(), 15, "Options lost its options")
}

// exportedFields lists the exported fields of file's LibvirtStats: name,
// type and tag, or the type's name alone for an embedded one.
func exportedFields(t *testing.T, file string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "LibvirtStats" {
			return true
		}
		for _, field := range ts.Type.(*ast.StructType).Fields.List {
			var typ strings.Builder
			require.NoError(t, printer.Fprint(&typ, fset, field.Type))
			if len(field.Names) == 0 {
				out = append(out, typ.String())
				continue
			}
			tag := ""
			if field.Tag != nil {
				tag = field.Tag.Value
			}
			for _, name := range field.Names {
				if name.IsExported() {
					out = append(out, name.Name+" "+typ.String()+" "+tag)
				}
			}
		}
		return false
	})
	return out
}
