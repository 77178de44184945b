package scenarios

import (
	"flag"
	"fmt"
	"strings"
)

// requireFlags fails when any of fs's string flags names is empty after
// parsing, listing the flags the subcommand needs and the ones missing.
func requireFlags(fs *flag.FlagSet, names ...string) error {
	var missing []string
	for _, n := range names {
		if f := fs.Lookup(n); f == nil || f.Value.String() == "" {
			missing = append(missing, "-"+n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	need := make([]string, len(names))
	for i, n := range names {
		need[i] = "-" + n
	}
	return fmt.Errorf("need %s (missing: %s)", joinAnd(need), strings.Join(missing, ", "))
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
