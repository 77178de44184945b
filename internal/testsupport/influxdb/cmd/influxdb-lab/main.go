// Command influxdb-lab starts, stops or checks a throwaway influxd for a
// person at a terminal (scripts/influxdb.sh runs it), with the code the
// end-to-end tests use.
//
//	influxdb-lab start|stop|status DIR ADDR
package main

import (
	"fmt"
	"os"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/influxdb"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: influxdb-lab start|stop|status DIR ADDR")
		os.Exit(2)
	}
	cmd, dir, addr := os.Args[1], os.Args[2], os.Args[3]
	var err error
	switch cmd {
	case "start":
		var s *influxdb.Server
		if s, err = influxdb.Start(dir, addr); err == nil {
			fmt.Printf("[influxdb] running (pid %d) on %s, data in %s\n", s.PID, s.URL(), s.Dir)
		}
	case "stop":
		err = influxdb.Stop(dir)
	case "status":
		if err = influxdb.Status(dir, addr); err == nil {
			fmt.Printf("[influxdb] running on http://%s\n", addr)
		}
	default:
		err = fmt.Errorf("unknown command %q (valid: start, stop, status)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "[influxdb] ERROR:", err)
		os.Exit(1)
	}
}
