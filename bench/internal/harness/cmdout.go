package harness

import (
	"os/exec"
	"strings"
)

// CmdOut is the trimmed stdout of a command, "" if it fails: for version
// strings and git describe, where a missing tool is no error.
func CmdOut(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Revision is the tree the harness runs from, as git describe says it
// (dirty marked): what each result and the report record.
func Revision() string { return CmdOut("git", "describe", "--always", "--dirty") }
