//go:build cgo && linux

package libvirt_stats

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/config"
	"libvirt.org/go/libvirt"
)

// Keepalive: a probe every 5 s, the connection declared dead after 3
// unanswered ones, so a vanished daemon is noticed within ~20 s even when
// no call is in flight.
const (
	keepaliveInterval = 5
	keepaliveCount    = 3
)

// keepaliveFor is a URI's keepalive: the one above, except over libssh.
// There libvirt's client reads the SSH channel 1 KiB at a time and, before
// it polls the socket again, looks for more only in that 1 KiB buffer: the
// rest of a larger reply waits in libssh's own buffer until something else
// arrives on the socket, in practice the next keepalive probe's answer.
// Measured (BenchmarkTransport, 100 test-driver domains): every gather took
// 5.0 s with a 5 s interval, 2.0 s with 2 s, so longer than the default
// timeout. A probe every second bounds that wait; 15 unanswered ones still
// declare the daemon gone after ~15 s.
func keepaliveFor(uri string) (interval int, count uint) {
	if isLibssh(uri) {
		return 1, 15
	}
	return keepaliveInterval, keepaliveCount
}

// isLibssh tells a URI of libvirt's libssh transport (qemu+libssh://, not
// libssh2).
func isLibssh(uri string) bool {
	scheme, _, _ := strings.Cut(uri, ":")
	return strings.HasSuffix(strings.ToLower(scheme), "+libssh")
}

// pooledConn is one open connection of a connPool and its liveness.
type pooledConn struct {
	conn    *libvirt.Connect
	dead    *atomic.Bool // set by this connection's close callback
	closing func()       // what connPool.opened returned for it
}

// connPool hands out libvirt connections, one per call in flight. In
// steady state that is one connection reused across gathers. A call stuck
// in libvirt (a frozen guest) keeps its connection, and the next calls get
// another one: libvirt's client sends a new call on a connection whose
// other call waits for its reply only after a delay (measured: 1.5 s, until
// a third call came), so two calls never share one. A connection that died
// is dropped and a new one opened at the next call.
type connPool struct {
	uri      string
	readOnly bool
	username config.Secret
	password config.Secret
	log      telegraf.Logger
	// opened, if set, runs on every new connection; the function it
	// returns runs before that connection is closed.
	opened func(*libvirt.Connect) func()

	mu         sync.Mutex
	idle       *pooledConn // open, no call in flight
	lost       bool        // a connection died since the last open
	opens      int         // successful opens, the first included
	reconnects int         // opens after a connection died
	stopped    bool
}

// acquire returns a live connection with no call in flight, opening one if
// there is none. The open runs outside the lock: it can take as long as the
// daemon or the network makes it (a host that drops packets), and neither
// a second call nor Stop may wait for it.
func (c *connPool) acquire() (*pooledConn, error) {
	c.mu.Lock()
	pc := c.idle
	c.idle = nil
	if pc != nil && pc.dead.Load() {
		c.lost = true
		c.closeConn(pc)
		pc = nil
	}
	c.mu.Unlock()
	if pc != nil {
		return pc, nil
	}
	pc, err := c.dial()
	if err != nil {
		return nil, &dialError{c.uri, err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.opens++
	if c.lost {
		c.lost = false
		c.reconnects++
		c.log.Infof("Reconnected to %q", c.uri)
	}
	return pc, nil
}

// release takes back a connection after its call; callErr is the call's
// error. A connection that the error shows broken is closed, and so is one
// beyond the single idle connection kept.
func (c *connPool) release(pc *pooledConn, callErr error) {
	broken := pc.dead.Load() || brokenBy(callErr)
	if !broken && callErr != nil {
		alive, err := pc.conn.IsAlive()
		broken = err != nil || !alive
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if broken {
		c.lost = true
	}
	if broken || c.stopped || c.idle != nil {
		c.closeConn(pc)
		return
	}
	c.idle = pc
}

// dial opens a connection with keepalive and a close callback.
func (c *connPool) dial() (*pooledConn, error) {
	if err := startEventLoop(); err != nil {
		return nil, fmt.Errorf("starting libvirt's event loop: %w", err)
	}
	conn, err := c.open()
	if err != nil {
		return nil, err
	}
	pc := &pooledConn{conn: conn, dead: new(atomic.Bool)}
	if err := conn.RegisterCloseCallback(func(*libvirt.Connect, libvirt.ConnectCloseReason) {
		pc.dead.Store(true)
	}); err != nil {
		c.log.Debugf("No close callback on %q: %v", c.uri, err)
	}
	// Local drivers (test:///, qemu:///embed) have no keepalive.
	if err := conn.SetKeepAlive(keepaliveFor(c.uri)); err != nil {
		c.log.Debugf("No keepalive on %q: %v", c.uri, err)
	}
	if c.opened != nil {
		pc.closing = c.opened(conn)
	}
	return pc, nil
}

// dialError is a failed open: it names the URI.
type dialError struct {
	uri string
	err error
}

func (e *dialError) Error() string { return fmt.Sprintf("connecting to %q: %v", e.uri, e.err) }
func (e *dialError) Unwrap() error { return e.err }

func (c *connPool) open() (*libvirt.Connect, error) {
	var flags libvirt.ConnectFlags
	if c.readOnly {
		flags |= libvirt.CONNECT_RO
	}
	// Always this callback, never libvirt's default one: that one prints its
	// prompts on stdout, the line protocol stream, and reads the answers
	// from stdin, which under execd is Telegraf's signal pipe: it blocks
	// there for good, or takes a signal line for the user name. Without
	// credentials the callback answers nothing, so the open fails at once,
	// unless libvirt's auth.conf has the answers: libvirt reads it before it
	// asks the callback. (No auth at all would skip auth.conf too: SASL then
	// finds no usable mechanism.)
	noCreds := c.username.Empty() && c.password.Empty()
	asked := false
	auth := &libvirt.ConnectAuth{
		CredType: []libvirt.ConnectCredentialType{libvirt.CRED_AUTHNAME, libvirt.CRED_PASSPHRASE},
		Callback: func(creds []*libvirt.ConnectCredential) {
			asked = true
			if !noCreds {
				c.credentials(creds)
			}
		},
	}
	conn, err := libvirt.NewConnectWithAuth(c.uri, auth, flags)
	if err != nil && asked && noCreds {
		return nil, fmt.Errorf("the daemon asks for a user name and password (SASL), and username and password are not set: %w", err)
	}
	if err != nil {
		if h := remoteHint(err.Error()); h != "" {
			return nil, fmt.Errorf("%s: %w", h, err)
		}
	}
	return conn, err
}

// remoteHints name the likely cause of remote transport errors whose own
// text does not: libvirt gives the reason (which certificate check failed)
// in a log line only, which goes to the debug log (see logLibvirt).
var remoteHints = []struct{ contains, hint string }{
	{"Failed to verify peer's certificate", "the server's TLS certificate was refused: is the URI's host name in it (cn, dns_name) and did the CA in pkipath's cacert.pem sign it? (libvirt's reason: debug log)"},
	{"Unable to read TLS confirmation", "the daemon closed the TLS session: it did not accept the client certificate (another CA, or tls_allowed_dn_list); see the daemon's log"},
	{"Host key verification failed", "ssh does not know the host key: add it to the known_hosts of the user Telegraf runs as, or give an ssh wrapper with command= (docs/auth.md)"},
	{"no suitable callback for host key verification", "the host key is not in the known_hosts file (known_hosts= in the URI); unknown keys are never accepted"},
}

func remoteHint(msg string) string {
	for _, h := range remoteHints {
		if strings.Contains(msg, h.contains) {
			return h.hint
		}
	}
	return ""
}

// credentials answers libvirt's SASL prompts from the secrets; the secret
// buffers are destroyed as soon as libvirt has its copy.
func (c *connPool) credentials(creds []*libvirt.ConnectCredential) {
	for _, cred := range creds {
		var s *config.Secret
		switch cred.Type {
		case libvirt.CRED_AUTHNAME:
			s = &c.username
		case libvirt.CRED_PASSPHRASE:
			s = &c.password
		default:
			continue
		}
		buf, err := s.Get()
		if err != nil {
			c.log.Errorf("Reading credential for %q: %v", c.uri, err)
			continue
		}
		cred.Result = buf.String()
		cred.ResultLen = len(cred.Result)
		buf.Destroy()
	}
}

// brokenBy tells the errors that mean the connection is gone.
func brokenBy(err error) bool {
	var lerr libvirt.Error
	return errors.As(err, &lerr) && (lerr.Code == libvirt.ERR_SYSTEM_ERROR ||
		lerr.Code == libvirt.ERR_RPC || lerr.Code == libvirt.ERR_NO_CONNECT ||
		lerr.Code == libvirt.ERR_INVALID_CONN)
}

// counts returns the successful opens and the reconnects among them.
func (c *connPool) counts() (opens, reconnects int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens, c.reconnects
}

// close closes the idle connection now, and a connection still in a call
// when that call returns.
func (c *connPool) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.idle != nil {
		c.closeConn(c.idle)
		c.idle = nil
	}
}

func (c *connPool) closeConn(pc *pooledConn) {
	if pc.closing != nil {
		pc.closing()
	}
	_ = pc.conn.UnregisterCloseCallback()
	if _, err := pc.conn.Close(); err != nil {
		c.log.Debugf("Closing connection to %q: %v", c.uri, err)
	}
}
