//go:build cgo

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs"
)

const pluginName = "libvirt_stats"

// loadInput builds the plugin from a TOML file holding one
// [[inputs.libvirt_stats]] table, read as Telegraf reads it: environment
// variables expanded, durations as strings or numbers, secrets, and an
// error naming any key the plugin does not know. No file: the defaults.
func loadInput(path string) (telegraf.Input, error) {
	input := inputs.Inputs[pluginName]()
	if path == "" {
		return input, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var conf struct {
		Inputs map[string][]toml.Primitive `toml:"inputs"`
	}
	md, err := toml.Decode(os.Expand(string(raw), envValue), &conf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tables := conf.Inputs[pluginName]
	for name := range conf.Inputs {
		if name != pluginName {
			return nil, fmt.Errorf("%s: unknown input %q: this binary runs only [[inputs.%s]]", path, name, pluginName)
		}
	}
	switch len(tables) {
	case 0:
		return nil, fmt.Errorf("%s: no [[inputs.%s]] table", path, pluginName)
	case 1:
	default:
		return nil, fmt.Errorf("%s: %d [[inputs.%s]] tables; run one binary per table", path, len(tables), pluginName)
	}
	if err := md.PrimitiveDecode(tables[0], input); err != nil {
		return nil, fmt.Errorf("%s: plugin inputs.%s: %w", path, pluginName, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = fmt.Sprintf("%q", strings.TrimPrefix(k.String(), "inputs."+pluginName+"."))
		}
		return nil, fmt.Errorf("%s: plugin inputs.%s: configuration specified the fields [%s], but they were not used; "+
			"this is either a typo or this config option does not exist in this version", path, pluginName, strings.Join(keys, " "))
	}
	return input, nil
}

// envValue escapes an environment variable's value for a TOML string, as
// Telegraf does.
func envValue(key string) string {
	return strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(os.Getenv(key))
}

var errGather = errors.New("gather failed")
