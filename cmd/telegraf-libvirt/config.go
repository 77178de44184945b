//go:build cgo && linux

package main

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/toml"
	"github.com/influxdata/toml/ast"
)

const pluginName = "libvirt_stats"

// loadInput builds the plugin from a TOML file holding one
// [[inputs.libvirt_stats]] table with Telegraf's own config code, so the
// table reads exactly as in a Telegraf configuration: environment variables,
// durations, secrets, unknown keys refused, and Telegraf's per-plugin
// options (tags, name_override, fieldinclude, namepass, ...) in the
// RunningInput that applies them. No file: the defaults. The caller Inits
// the input.
func loadInput(path string) (*models.RunningInput, error) {
	data := []byte("[[inputs." + pluginName + "]]\n")
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, err
		}
		if err := checkTables(data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	c := config.NewConfig()
	if err := c.LoadConfigData(data, path); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch len(c.Inputs) {
	case 0:
		return nil, fmt.Errorf("%s: no [[inputs.%s]] table", path, pluginName)
	case 1:
	default:
		return nil, fmt.Errorf("%s: %d [[inputs.%s]] tables; run one binary per table", path, len(c.Inputs), pluginName)
	}
	// @{store:key} references need a secret store, which this binary has
	// not: an error here names the reference.
	if err := c.LinkSecrets(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ri := c.Inputs[0]
	// Global tags (host, [global_tags]) are the job of the Telegraf that
	// runs this binary; its execd input adds them to every line.
	ri.SetDefaultTags(nil)
	return ri, nil
}

// checkTables refuses, with a message naming them, the tables Telegraf would
// read but this binary would not run: other plugins, [agent], global tags.
// A file the TOML parser cannot read before Telegraf expands its environment
// variables is left to Telegraf's loader.
func checkTables(data []byte) error {
	tbl, err := toml.Parse(data)
	if err != nil {
		return nil //nolint:nilerr // LoadConfigData reports it, after expanding ${VAR}
	}
	for _, name := range sortedKeys(tbl.Fields) {
		if name != "inputs" {
			return fmt.Errorf("table [%s]: this binary reads only one [[inputs.%s]] table; "+
				"agent settings and global tags belong in Telegraf's configuration", name, pluginName)
		}
	}
	inputs, ok := tbl.Fields["inputs"].(*ast.Table)
	if !ok {
		return fmt.Errorf("no [[inputs.%s]] table", pluginName)
	}
	for _, name := range sortedKeys(inputs.Fields) {
		if name != pluginName {
			return fmt.Errorf("unknown input %q: this binary runs only [[inputs.%s]]", name, pluginName)
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var errGather = errors.New("gather failed")
