// Package version holds the release version of telegraf-libvirt. It is the
// one place the version lives: the binary's -version, the plugin compiled
// into a Telegraf build (it logs it at start) and the packages (the
// Makefile reads Version from this file) all take it from here.
package version

// Version is the release, without a leading "v". The Makefile reads it with
// sed: keep it a one-line string constant.
const Version = "0.1.0"

// Commit is the git commit a release build was made from, set by the
// Makefile with -ldflags "-X .../internal/version.Commit=..."; empty in a
// plain `go build`.
var Commit = ""

// String is Version, with the commit when the build recorded one.
func String() string {
	if Commit == "" {
		return Version
	}
	return Version + " (commit " + Commit + ")"
}
