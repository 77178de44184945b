package examples

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Generated or downloaded trees: paths into them are named before they
// exist.
var generatedDirs = []string{".git", ".cache", "bin", "dist", "bench/out"}

// The file scripts/telegraf-build.sh adds to a copy of Telegraf's tree.
const addedToTelegraf = "plugins/inputs/all/libvirt_stats.go"

// A Markdown link that is not a URL or an anchor.
var mdLink = regexp.MustCompile(`\]\(([^)\s#]+)(#[^)]*)?\)`)

// A repo path named in prose or a comment: one of the repository's
// top-level folders, then a file or folder name, standing on its own (not
// the tail of a module path or an absolute path).
var repoPath = regexp.MustCompile(`(?:^|[\s"'(\[=,])((?:docs|scripts|cmd|plugins|internal|examples|testdata|bench|e2e|packaging|tools)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*])`)

// Every relative link in *.md, and every repo path named in docs, scripts
// and Go comments, exists (from the repository's root or, for a package's
// own testdata, from the file's folder). A path that is not in this repository may name
// Telegraf's source (plugins/inputs/libvirt, tools/readme_linter): it must
// then exist in the Telegraf module this repository requires.
func TestNamedPathsExist(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	telegraf := telegrafModuleDir(t, root)
	var broken []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			for _, g := range generatedDirs {
				if rel == g {
					return filepath.SkipDir
				}
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !checkedFile(rel) {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(raw)
		if strings.HasSuffix(rel, ".md") {
			// A fragment the README includes says so; its links are the
			// README's.
			base := filepath.Dir(path)
			if strings.Contains(text, "links are relative to the repository root") {
				base = root
			}
			for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				if !exists(filepath.Join(base, target)) {
					broken = append(broken, rel+": link "+target)
				}
			}
		}
		for _, m := range repoPath.FindAllStringSubmatch(text, -1) {
			p := strings.TrimSuffix(m[1], ".")
			if placeholder(p) || underGenerated(p) || p == addedToTelegraf ||
				exists(filepath.Join(root, p)) || exists(filepath.Join(filepath.Dir(path), p)) ||
				exists(filepath.Join(telegraf, p)) {
				continue
			}
			broken = append(broken, rel+": path "+p)
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, broken, "named paths that do not exist")
}

func checkedFile(rel string) bool {
	switch filepath.Ext(rel) {
	case ".md", ".go", ".sh", ".c", ".h", ".conf", ".yml", ".yaml":
		return true
	}
	return filepath.Base(rel) == "Makefile"
}

// placeholder: a path pattern, not a path (testdata/qemu/NAME.xml,
// scripts/*.sh, dist/telegraf-libvirt_<version>_amd64.deb).
func placeholder(p string) bool {
	if strings.ContainsAny(p, "*<>{}$") {
		return true
	}
	for _, word := range placeholderWord.FindAllString(p, -1) {
		switch strings.Trim(word, "/._-") {
		case "README", "CHANGELOG", "LICENSE", "ARCHITECTURE", "BENCHMARKS", "DESIGN", "HYPERVISOR":
		default:
			return true
		}
	}
	return false
}

// An upper-case word standing for a name: NAME, DOMAIN, COUNT, VERSION.
var placeholderWord = regexp.MustCompile(`(?:^|[/._-])[A-Z]{3,}(?:[/._-]|$)`)

func underGenerated(p string) bool {
	for _, g := range generatedDirs {
		if p == g || strings.HasPrefix(p, g+"/") {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// telegrafModuleDir is the Telegraf module's source in the module cache
// ("" if it is not there).
func telegrafModuleDir(t *testing.T, root string) string {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`github.com/influxdata/telegraf (v\S+)`).FindStringSubmatch(string(gomod))
	require.NotNil(t, m, "go.mod requires Telegraf")
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(gopath, "pkg", "mod")
	}
	dir := filepath.Join(cache, "github.com", "influxdata", "telegraf@"+m[1])
	require.DirExists(t, dir, "the Telegraf module (go mod download)")
	return dir
}
