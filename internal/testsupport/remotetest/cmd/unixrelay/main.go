// Command unixrelay copies stdin to a UNIX socket and the socket to stdout:
// the part of `nc -U PATH` that libvirt's ssh transports run on the far
// side with proxy=netcat (netcat=PATH-TO-THIS in the URI). The machine has
// no nc, and virt-ssh-helper only knows the system daemon's sockets, so a
// private daemon's socket is reached through this.
//
//	unixrelay [-q0] -U SOCKET
//
// libvirt first runs it with -q alone to probe for nc's -q option; it then
// exits at once with a status of 2.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	var path string
	for i, a := range os.Args {
		if a == "-U" && i+1 < len(os.Args) {
			path = os.Args[i+1]
		}
	}
	if path == "" {
		fmt.Fprintln(os.Stderr, "usage: unixrelay [-q0] -U SOCKET")
		os.Exit(2)
	}
	conn, err := net.Dial("unix", path) //nolint:gosec // G704: the socket libvirt names on our own command line is the point of this relay
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() {
		_, _ = io.Copy(conn, os.Stdin)
		_ = conn.(*net.UnixConn).CloseWrite()
	}()
	_, _ = io.Copy(os.Stdout, conn)
}
