//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"libvirt.org/go/libvirt"
)

// The binary runs against libvirt >= 1.2.8 (virConnectGetAllDomainStats),
// but some of what a configuration asks for came later. An older daemon
// answers with a terse libvirt error; explainUnsupported names the option
// and the version it needs. Versions are the "Since:" of libvirt-domain.h.

// flagSince is the libvirt version of each call flag newer than the call.
var flagSince = []struct {
	option string
	bit    uint32
	since  string
}{
	{"nowait", uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT), "4.5.0"},
	{"backing", uint32(libvirt.CONNECT_GET_ALL_DOMAINS_STATS_BACKING), "1.2.12"},
}

var (
	// virCheckFlags: "unsupported flags (0x20000000) in function qemuConnectGetAllDomainStats"
	unsupportedFlags = regexp.MustCompile(`unsupported flags \(0x([0-9a-fA-F]+)\)`)
	// with enforce: "Stats types bits 0x400 are not supported by this daemon"
	unsupportedGroups = regexp.MustCompile(`[Ss]tats types bits 0x([0-9a-fA-F]+) are not supported`)
)

// explainUnsupported wraps a libvirt error that rejects a flag or a
// statistics group with the option that asked for it and the libvirt
// version it needs; any other error comes back as it is.
func explainUnsupported(err error) error {
	var lerr libvirt.Error
	if err == nil || !errors.As(err, &lerr) {
		return err
	}
	if needs := needsOf(unsupportedFlags, lerr.Message, flagNeeds); needs != "" {
		return fmt.Errorf("this libvirtd is older than the call's flags need: %s "+
			"(nowait is also asked for by the retry at half the timeout); set them to false for this host: %w",
			needs, err)
	}
	if needs := needsOf(unsupportedGroups, lerr.Message, groupNeeds); needs != "" {
		return fmt.Errorf("statistics_groups: this libvirtd lacks %s; remove them for this host, "+
			"or set enforce = false to get the groups it has: %w", needs, err)
	}
	return err
}

// needsOf reads the bits a libvirt message names (re's hex number) and
// says what each known one needs; "" if the message is another or names
// no known bit.
func needsOf(re *regexp.Regexp, msg string, needs func(bits uint32) []string) string {
	m := re.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	bits, err := strconv.ParseUint(m[1], 16, 32)
	if err != nil {
		return ""
	}
	return strings.Join(needs(uint32(bits)), ", ")
}

func flagNeeds(bits uint32) (out []string) {
	for _, f := range flagSince {
		if bits&f.bit != 0 {
			out = append(out, fmt.Sprintf("%s = true needs libvirt >= %s", f.option, f.since))
		}
	}
	return out
}

func groupNeeds(bits uint32) (out []string) {
	for _, g := range statsGroups {
		if bits&g.bit != 0 {
			out = append(out, fmt.Sprintf("%s needs libvirt >= %s", g.name, g.since))
		}
	}
	return out
}
