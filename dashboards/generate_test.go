package dashboards

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed JSON and pictures are what the code generates: run
// `go generate` in dashboards/ (make dashboards) after changing the code.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Errorf("%s: %v: run `go generate` in dashboards/ and commit the result", name, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from what the code generates: run `go generate` in dashboards/ and commit the result", name)
		}
	}
	// No stale file: every committed JSON or picture is generated.
	for _, dir := range []string{"json", "svg"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, ok := files[dir+"/"+e.Name()]; !ok {
				t.Errorf("%s/%s is not generated any more: remove it", dir, e.Name())
			}
		}
	}
	if len(files) != 7 {
		t.Errorf("%d files generated, want 4 dashboards, 2 pictures and docs/migrate.md: %v", len(files), keys(files))
	}
}

func keys(m map[string][]byte) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return strings.Join(out, " ")
}

// Panel titles name the panels in the query test (e2e/dashboards_test.go)
// and in the pictures: unique within a dashboard, rows included.
func TestPanelTitlesAreUnique(t *testing.T) {
	for _, b := range boards() {
		seen := map[string]bool{}
		for _, r := range b.rows {
			for _, title := range append([]string{r.title}, panelTitles(r)...) {
				if seen[title] {
					t.Errorf("dashboard %s: title %q twice", b.file, title)
				}
				seen[title] = true
			}
		}
	}
}

func panelTitles(r row) []string {
	var out []string
	for _, p := range r.panels {
		out = append(out, p.title)
	}
	return out
}
