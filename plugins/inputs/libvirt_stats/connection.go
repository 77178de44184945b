package libvirt_stats

import (
	"errors"
	"fmt"
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

var (
	eventLoopOnce sync.Once
	eventLoopErr  error
)

// startEventLoop registers libvirt's default event loop once per process,
// before the first connection, and runs it for good: keepalive and the
// close callback need it.
func startEventLoop() error {
	eventLoopOnce.Do(func() {
		if eventLoopErr = libvirt.EventRegisterDefaultImpl(); eventLoopErr != nil {
			return
		}
		go func() {
			for {
				_ = libvirt.EventRunDefaultImpl()
			}
		}()
	})
	return eventLoopErr
}

// connection is one libvirt connection reused across gathers and opened
// again at the first gather after it died.
type connection struct {
	uri      string
	readOnly bool
	username config.Secret
	password config.Secret
	log      telegraf.Logger
	// opened, if set, runs on every new connection; the function it
	// returns runs before that connection is closed.
	opened func(*libvirt.Connect) func()

	mu      sync.Mutex
	conn    *libvirt.Connect
	dead    *atomic.Bool // set by this connection's close callback
	closing func()       // what opened returned for conn
	opens   int          // successful opens, the first included
}

// get returns the live connection, opening one if there is none.
func (c *connection) get() (*libvirt.Connect, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil && !c.dead.Load() {
		return c.conn, nil
	}
	c.closeLocked()
	if err := startEventLoop(); err != nil {
		return nil, fmt.Errorf("starting libvirt's event loop: %w", err)
	}
	conn, err := c.open()
	if err != nil {
		return nil, fmt.Errorf("connecting to %q: %w", c.uri, err)
	}
	dead := new(atomic.Bool)
	if err := conn.RegisterCloseCallback(func(_ *libvirt.Connect, reason libvirt.ConnectCloseReason) {
		dead.Store(true)
	}); err != nil {
		c.log.Debugf("No close callback on %q: %v", c.uri, err)
	}
	// Local drivers (test:///, qemu:///embed) have no keepalive.
	if err := conn.SetKeepAlive(keepaliveInterval, keepaliveCount); err != nil {
		c.log.Debugf("No keepalive on %q: %v", c.uri, err)
	}
	c.conn, c.dead = conn, dead
	if c.opened != nil {
		c.closing = c.opened(conn)
	}
	c.opens++
	if c.opens > 1 {
		c.log.Infof("Reconnected to %q", c.uri)
	}
	return conn, nil
}

func (c *connection) open() (*libvirt.Connect, error) {
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
	return conn, err
}

// credentials answers libvirt's SASL prompts from the secrets; the secret
// buffers are destroyed as soon as libvirt has its copy.
func (c *connection) credentials(creds []*libvirt.ConnectCredential) {
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

// check drops the connection after a failed call if the failure means the
// connection is gone, so the next gather opens a new one.
func (c *connection) check(conn *libvirt.Connect, err error) {
	var lerr libvirt.Error
	broken := errors.As(err, &lerr) && (lerr.Code == libvirt.ERR_SYSTEM_ERROR ||
		lerr.Code == libvirt.ERR_RPC || lerr.Code == libvirt.ERR_NO_CONNECT ||
		lerr.Code == libvirt.ERR_INVALID_CONN)
	if alive, aerr := conn.IsAlive(); aerr != nil || !alive {
		broken = true
	}
	if !broken {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == conn {
		c.closeLocked()
	}
}

// openCount is the number of successful opens, the first included.
func (c *connection) openCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens
}

func (c *connection) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
}

func (c *connection) closeLocked() {
	if c.conn == nil {
		return
	}
	if c.closing != nil {
		c.closing()
		c.closing = nil
	}
	_ = c.conn.UnregisterCloseCallback()
	if _, err := c.conn.Close(); err != nil {
		c.log.Debugf("Closing connection to %q: %v", c.uri, err)
	}
	c.conn, c.dead = nil, nil
}
