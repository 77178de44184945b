// Command hostguard brackets `make test`'s lab suites:
//
//	hostguard before FILE   start a stand-in host libvirtd if there is none, snapshot into FILE
//	hostguard after FILE    snapshot again, fail on any difference, remove the stand-in
//
// Run it in the host's namespaces (not through scripts/lab.sh exec).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/hostguard"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "before" && os.Args[1] != "after") {
		fmt.Fprintln(os.Stderr, "usage: hostguard before|after FILE")
		os.Exit(2)
	}
	var err error
	if os.Args[1] == "before" {
		err = before(os.Args[2])
	} else {
		err = after(os.Args[2])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "[hostguard] FAIL:", err)
		os.Exit(1)
	}
}

func before(file string) error {
	var standIn *hostguard.StandIn
	if hostguard.HostLibvirtd() == 0 {
		var err error
		standIn, err = hostguard.StartStandIn()
		if err != nil {
			if standIn != nil {
				_ = standIn.Stop()
			}
			return err
		}
		fmt.Printf("[hostguard] no libvirtd on the host: started a stand-in (pid %d) with domain %s\n", standIn.PID, standIn.Domain)
	}
	s, err := hostguard.Take()
	if err != nil {
		return err
	}
	s.StandIn = standIn
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	fmt.Printf("[hostguard] host libvirtd pid %d, sockets %v, domains %v, %d files under %v\n",
		s.PID, s.Sockets, s.Domains, len(s.Files), hostguard.Watched)
	return os.WriteFile(file, raw, 0o600)
}

func after(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var b hostguard.Snapshot
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	a, err := hostguard.Take()
	if err != nil {
		return err
	}
	diff := hostguard.Diff(&b, a)
	if b.StandIn != nil {
		if err := b.StandIn.Stop(); err != nil {
			diff = append(diff, err.Error())
		} else {
			fmt.Println("[hostguard] stand-in libvirtd stopped, its domain and files removed")
		}
	}
	if len(diff) > 0 {
		for _, d := range diff {
			fmt.Fprintln(os.Stderr, "[hostguard]", d)
		}
		return fmt.Errorf("the host's libvirt changed while the lab's suites ran (%d differences)", len(diff))
	}
	fmt.Printf("[hostguard] the host's libvirt is as it was: pid %d, sockets %v, domains %v, %d files\n",
		a.PID, a.Sockets, a.Domains, len(a.Files))
	return os.Remove(file)
}
