// Command nodexml prints a test-driver node of COUNT domains (default 120)
// on stdout: scripts/gen-node-xml.sh runs it.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/nodexml"
)

func main() {
	count := 120
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "nodexml: COUNT %q is not a number of domains (usage: nodexml [COUNT])\n", os.Args[1])
			os.Exit(2)
		}
		count = n
	}
	if err := nodexml.Write(os.Stdout, count); err != nil {
		fmt.Fprintln(os.Stderr, "nodexml:", err)
		os.Exit(1)
	}
}
