package harness

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
)

// RPCCount is a contender's libvirt RPCs per gather, counted on the wire.
type RPCCount struct {
	PerGather float64            `json:"per_gather"`
	ByProc    map[string]float64 `json:"by_proc"`
}

// The programs and procedures of libvirt's RPC protocol that the contenders
// use (remote_protocol.x).
const (
	remoteProgram    = 0x20008086
	keepaliveProgram = 0x6b656570
	msgCall          = 0
)

var procNames = map[uint32]string{
	6:   "NODE_GET_INFO",
	14:  "DOMAIN_GET_XML_DESC",
	16:  "DOMAIN_GET_INFO",
	20:  "DOMAIN_GET_VCPUS",
	64:  "DOMAIN_BLOCK_STATS",
	65:  "DOMAIN_INTERFACE_STATS",
	159: "DOMAIN_MEMORY_STATS",
	273: "CONNECT_LIST_ALL_DOMAINS",
	344: "CONNECT_GET_ALL_DOMAIN_STATS",
}

// Proxy forwards a unix socket to libvirtd's and counts the calls the
// client sends, by procedure. Keepalive messages (their own program) and
// replies are not calls.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	calls  map[string]int
	wg     sync.WaitGroup
}

// StartProxy listens on the unix socket listen and forwards each client to
// libvirtd's socket target, counting the calls on the way.
func StartProxy(listen, target string) (*Proxy, error) {
	ln, err := net.Listen("unix", listen)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, calls: map[string]int{}}
	p.wg.Go(p.accept)
	return p, nil
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	daemon, err := net.Dial("unix", p.target)
	if err != nil {
		return
	}
	defer daemon.Close()
	go func() {
		_, _ = io.Copy(client, daemon)
		client.Close()
	}()
	// Client to daemon: whole messages, each a 4-byte length (itself
	// included) and a header: program, version, procedure, type, serial,
	// status.
	var hdr [28]byte
	for {
		if _, err := io.ReadFull(client, hdr[:]); err != nil {
			return
		}
		size := binary.BigEndian.Uint32(hdr[0:])
		prog := binary.BigEndian.Uint32(hdr[4:])
		proc := binary.BigEndian.Uint32(hdr[12:])
		typ := binary.BigEndian.Uint32(hdr[16:])
		if size < uint32(len(hdr)) {
			return
		}
		if prog != keepaliveProgram && typ == msgCall {
			p.count(prog, proc)
		}
		if _, err := daemon.Write(hdr[:]); err != nil {
			return
		}
		if _, err := io.CopyN(daemon, client, int64(size)-int64(len(hdr))); err != nil {
			return
		}
	}
}

func (p *Proxy) count(prog, proc uint32) {
	name, ok := procNames[proc]
	if !ok || prog != remoteProgram {
		name = fmt.Sprintf("prog=%#x proc=%d", prog, proc)
	}
	p.mu.Lock()
	p.calls[name]++
	p.mu.Unlock()
}

// Snapshot is a copy of the calls counted so far, by procedure name.
func (p *Proxy) Snapshot() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.calls))
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

// Close stops accepting clients; open connections end with their client.
func (p *Proxy) Close() {
	p.ln.Close()
}
