//go:build qemu

package linuxguest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The initramfs and /init work without libvirt: two QEMUs boot the kernel
// directly, joined by a socket netdev on loopback. Each guest gets ready,
// answers the other's pings, reads and writes its disk (QEMU's blockstats
// move) and reports balloon statistics (QOM guest-stats).
func TestBootTwoGuestsWithQEMU(t *testing.T) {
	a, err := Build(filepath.Join(t.TempDir(), "cache"), "")
	require.NoError(t, err)
	dir := t.TempDir()
	port := freePort(t)

	type vm struct {
		g    Guest
		qmp  string
		cmd  *exec.Cmd
		from time.Time
	}
	var vms []*vm
	for i, g := range Guests {
		disk := g.Disk(dir)
		out, err := exec.Command("qemu-img", "create", "-f", "qcow2", disk, strconv.Itoa(DiskMiB)+"M").CombinedOutput()
		require.NoError(t, err, string(out))
		netdev := fmt.Sprintf("socket,id=n0,listen=127.0.0.1:%d", port)
		if i > 0 {
			netdev = fmt.Sprintf("socket,id=n0,connect=127.0.0.1:%d", port)
		}
		v := &vm{g: g, qmp: filepath.Join(dir, g.Name+".qmp")}
		v.cmd = exec.Command("qemu-system-x86_64", "-machine", "pc", "-accel", "tcg",
			"-m", strconv.Itoa(MemoryMiB), "-smp", strconv.Itoa(VCPUs),
			"-nodefaults", "-display", "none", "-no-reboot",
			"-kernel", a.Kernel, "-initrd", a.Initrd, "-append", g.Cmdline(),
			"-serial", "file:"+g.ConsoleLog(dir),
			"-qmp", "unix:"+v.qmp+",server=on,wait=off",
			"-drive", "file="+disk+",if=virtio,format=qcow2",
			"-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac="+g.MAC,
			"-device", "virtio-balloon-pci,id=balloon0")
		log, err := os.Create(filepath.Join(dir, g.Name+".qemu.log"))
		require.NoError(t, err)
		t.Cleanup(func() { log.Close() })
		v.cmd.Stdout, v.cmd.Stderr = log, log
		v.from = time.Now()
		require.NoError(t, v.cmd.Start())
		t.Cleanup(func() {
			_ = v.cmd.Process.Kill()
			_ = v.cmd.Wait()
		})
		vms = append(vms, v)
		if i == 0 {
			waitFile(t, v.qmp) // the listener is up once QMP is
		}
	}

	for _, v := range vms {
		var c Console
		require.Eventually(t, func() bool {
			c, err = v.g.ReadConsole(dir)
			return err == nil && c.Ready
		}, 120*time.Second, 100*time.Millisecond, "%s not ready; console:\n%s", v.g.Name, readFile(v.g.ConsoleLog(dir)))
		t.Logf("%s ready %.1f s after QEMU started (guest uptime %.2f s), MemTotal %d KiB",
			v.g.Name, time.Since(v.from).Seconds(), c.ReadyUptime, c.MemTotalKiB)
		require.Empty(t, c.Errors)
		// The kernel keeps a third of 160 MiB for itself (MemTotal was 112188 KiB).
		require.Greater(t, c.MemTotalKiB, uint64(MemoryMiB*1024/2), "MemTotal")
		require.LessOrEqual(t, c.MemTotalKiB, uint64(MemoryMiB*1024))
	}
	for _, v := range vms {
		require.Eventually(t, func() bool {
			c, err := v.g.ReadConsole(dir)
			return err == nil && c.PeerSeen
		}, 60*time.Second, 200*time.Millisecond, "%s never reached its peer; console:\n%s", v.g.Name, readFile(v.g.ConsoleLog(dir)))
	}

	for _, v := range vms {
		q := dialQMP(t, v.qmp)
		q.call(t, "qom-set", map[string]any{"path": "/machine/peripheral/balloon0", "property": "guest-stats-polling-interval", "value": 1})
		var stats struct {
			Stats      map[string]uint64 `json:"stats"`
			LastUpdate int64             `json:"last-update"`
		}
		require.Eventually(t, func() bool {
			q.call(t, "qom-get", map[string]any{"path": "/machine/peripheral/balloon0", "property": "guest-stats"}, &stats)
			return stats.LastUpdate > 0
		}, 30*time.Second, 500*time.Millisecond, "%s: no balloon statistics", v.g.Name)
		c, err := v.g.ReadConsole(dir)
		require.NoError(t, err)
		require.Equal(t, c.MemTotalKiB*1024, stats.Stats["stat-total-memory"], "%s: balloon's total is MemTotal", v.g.Name)
		require.Greater(t, stats.Stats["stat-free-memory"], uint64(0))
		require.Greater(t, stats.Stats["stat-available-memory"], uint64(0))

		var blk []struct {
			Stats struct {
				RdBytes uint64 `json:"rd_bytes"`
				WrBytes uint64 `json:"wr_bytes"`
			} `json:"stats"`
		}
		q.call(t, "query-blockstats", nil, &blk)
		require.NotEmpty(t, blk)
		first := blk[0].Stats
		time.Sleep(3 * time.Second)
		q.call(t, "query-blockstats", nil, &blk)
		require.Greater(t, blk[0].Stats.RdBytes, first.RdBytes, "%s: disk reads", v.g.Name)
		require.Greater(t, blk[0].Stats.WrBytes, first.WrBytes, "%s: disk writes", v.g.Name)
		t.Logf("%s: balloon %v; disk read %d, written %d bytes in 3 s", v.g.Name, stats.Stats,
			blk[0].Stats.RdBytes-first.RdBytes, blk[0].Stats.WrBytes-first.WrBytes)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFile(t *testing.T, path string) {
	require.Eventually(t, func() bool { return exists(path) }, 30*time.Second, 50*time.Millisecond, path)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

type qmp struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialQMP(t *testing.T, path string) *qmp {
	conn, err := net.Dial("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	q := &qmp{conn: conn, r: bufio.NewReader(conn)}
	_, err = q.r.ReadBytes('\n') // the greeting
	require.NoError(t, err)
	q.call(t, "qmp_capabilities", nil)
	return q
}

// call runs a QMP command and decodes its "return" into ret, if given;
// events that come before the answer are skipped.
func (q *qmp) call(t *testing.T, cmd string, args any, ret ...any) {
	t.Helper()
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	require.NoError(t, json.NewEncoder(q.conn).Encode(req))
	for {
		line, err := q.r.ReadBytes('\n')
		require.NoError(t, err)
		var resp struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Desc string `json:"desc"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(line, &resp))
		if resp.Error != nil {
			t.Fatalf("QMP %s: %s", cmd, resp.Error.Desc)
		}
		if resp.Return == nil {
			continue // an event
		}
		if len(ret) > 0 {
			require.NoError(t, json.Unmarshal(resp.Return, ret[0]))
		}
		return
	}
}
