//go:build qemu

package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/influxdb"
	"github.com/telegraf-libvirt/telegraf-libvirt/internal/testsupport/lab"
)

// repoRoot is the repository's top directory (the parent of e2e/).
var repoRoot string

// The InfluxDB every test of this package writes to, one database per
// test; testDBErr says why there is none.
var (
	testDB    *influxDB
	testDBErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	testDB, testDBErr = startInfluxDB()
	if testDB != nil {
		defer testDB.stop()
	}
	return m.Run()
}

// startInfluxDB starts a throwaway influxd (internal/testsupport/influxdb)
// on a free loopback port and a temporary directory.
func startInfluxDB() (*influxDB, error) {
	dir, err := lab.TempDir("influxdb-")
	if err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if _, err := influxdb.Start(dir, addr); err != nil {
		_ = influxdb.Stop(dir) // a half-started influxd is stopped by its pid file
		return nil, err
	}
	return &influxDB{dir: dir, addr: addr}, nil
}

func (db *influxDB) stop() {
	if err := influxdb.Stop(db.dir); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the test influxd (%s): %v\n", db.dir, err)
		return // keep the directory: its pid file is the way to the process
	}
	os.RemoveAll(db.dir)
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// needInfluxDB returns the test InfluxDB or fails the test with why there
// is none.
func needInfluxDB(t *testing.T) *influxDB {
	t.Helper()
	if testDB == nil {
		err := testDBErr
		if err == nil {
			err = errors.New("not started")
		}
		t.Fatalf("no InfluxDB for the end-to-end tests (needs Debian's influxdb package: make influxdb): %v", err)
	}
	return testDB
}

// needBinary returns the absolute path of a binary this repository builds
// into bin/, or fails the test naming the make target that builds it.
func needBinary(t *testing.T, rel, target string) string {
	t.Helper()
	p := filepath.Join(repoRoot, rel)
	st, err := os.Stat(p)
	if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("%s is missing or not executable (%v): run `make %s` first", rel, err, target)
	}
	return p
}
