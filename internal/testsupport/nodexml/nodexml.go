// Package nodexml writes node files for libvirt's test driver: COUNT
// domains node-0000 ... with a fixed mix of states, iothreads and
// transient domains, so that tests and benchmarks get many domains without
// a hypervisor. testdata/node-120.xml is its output for 120.
package nodexml

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Domain states as the test driver's <test:runstate> numbers them.
const (
	running = 1
	paused  = 3
	shutoff = 5
)

// Write writes a node of count domains: every 10th paused, every 10th+1
// shut off, every 3rd with 1-4 iothreads, every 20th+5 transient.
func Write(w io.Writer, count int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "<node>")
	for i := range count {
		state := running
		switch i % 10 {
		case 0:
			state = paused
		case 1:
			state = shutoff
		}
		fmt.Fprintf(bw, "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n")
		fmt.Fprintf(bw, "    <name>node-%04d</name>\n", i)
		fmt.Fprintf(bw, "    <uuid>00000000-0000-4000-8000-%012d</uuid>\n", i)
		fmt.Fprintf(bw, "    <memory unit='MiB'>64</memory>\n    <vcpu>2</vcpu>\n")
		if i%3 == 0 {
			fmt.Fprintf(bw, "    <iothreads>%d</iothreads>\n", i%4+1)
		}
		fmt.Fprintf(bw, "    <os><type>hvm</type></os>\n")
		fmt.Fprintf(bw, "    <test:runstate>%d</test:runstate>\n", state)
		if i%20 == 5 {
			fmt.Fprintf(bw, "    <test:transient/>\n")
		}
		fmt.Fprintf(bw, "  </domain>\n")
	}
	fmt.Fprintln(bw, "</node>")
	return bw.Flush()
}

// File writes node-COUNT.xml into the test's temporary directory and
// returns its path.
func File(t testing.TB, count int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("node-%d.xml", count))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(f, count); err != nil {
		t.Fatal(err)
	}
	return path
}
