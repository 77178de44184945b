// Command gen writes the generated files of the dashboards module (the
// dashboards' JSON and the pictures of their grids) under the directory
// given by -dir; `go generate` in dashboards/ runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/telegraf-libvirt/telegraf-libvirt/dashboards"
)

func main() {
	dir := flag.String("dir", ".", "the dashboards module's directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := dashboards.Generate()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o640); err != nil {
			return err
		}
	}
	return nil
}
