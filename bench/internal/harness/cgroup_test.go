package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Both counters, read from files as the kernel writes them, give ns.
func TestCgroupUsageFiles(t *testing.T) {
	dir := t.TempDir()
	v1 := filepath.Join(dir, "v1")
	v2 := filepath.Join(dir, "v2")
	require.NoError(t, os.MkdirAll(v1, 0o755))
	require.NoError(t, os.MkdirAll(v2, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(v1, "cpuacct.usage"), []byte("123456789\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(v2, "cpu.stat"), []byte(
		"usage_usec 98765\nuser_usec 60000\nsystem_usec 38765\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"), 0o644))

	n, err := CPUGroups{Version: "v1"}.Usage(v1)
	require.NoError(t, err)
	require.Equal(t, int64(123456789), n)
	n, err = CPUGroups{Version: "v2"}.Usage(v2)
	require.NoError(t, err)
	require.Equal(t, int64(98765000), n)

	_, err = parseCPUStatUsage([]byte("user_usec 1\nsystem_usec 2\n"))
	require.ErrorContains(t, err, "no usage_usec")
	_, err = parseCPUStatUsage([]byte("usage_usec x\n"))
	require.ErrorContains(t, err, "usage_usec")
	_, err = parseCpuacctUsage([]byte("\n"))
	require.ErrorContains(t, err, "cpuacct.usage")
	_, err = CPUGroups{Version: "v2"}.Usage(v1) // no cpu.stat there
	require.ErrorIs(t, err, os.ErrNotExist)
}

// The hierarchy comes from /proc/self/mounts: v1 cpuacct first on a host
// that mounts both (this project's test host), v2 on one that mounts only
// v2, and what was asked for or a clear error.
func TestFindCPUGroups(t *testing.T) {
	hybrid := []byte(`tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
`)
	v2only := []byte(`proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0
`)
	joint := []byte("cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n")
	spaced := []byte(`cgroup2 /mnt/my\040groups cgroup2 rw 0 0` + "\n")
	none := []byte("proc /proc proc rw 0 0\n")

	for _, c := range []struct {
		mounts         []byte
		want           string
		version, mount string
		err            string
	}{
		{hybrid, "auto", "v1", "/sys/fs/cgroup/cpuacct", ""},
		{hybrid, "v1", "v1", "/sys/fs/cgroup/cpuacct", ""},
		{hybrid, "v2", "v2", "/sys/fs/cgroup/unified", ""},
		{v2only, "auto", "v2", "/sys/fs/cgroup", ""},
		{v2only, "v2", "v2", "/sys/fs/cgroup", ""},
		{v2only, "v1", "", "", "no cgroup v1 hierarchy with the cpuacct controller"},
		{joint, "auto", "v1", "/sys/fs/cgroup/cpu,cpuacct", ""},
		{joint, "v2", "", "", "no cgroup v2 hierarchy is mounted"},
		{spaced, "auto", "v2", "/mnt/my groups", ""},
		{none, "auto", "", "", "neither a cgroup v1 cpuacct hierarchy nor a cgroup v2"},
		{hybrid, "v3", "", "", `cgroup "v3": valid choices are auto, v1, v2`},
	} {
		g, err := FindCPUGroups(c.mounts, c.want)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.want)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, CPUGroups{Version: c.version, Mount: c.mount, Root: filepath.Join(c.mount, "tlvbench")}, g, "%s of %s", c.want, c.mounts)
	}
}

// On the real kernel: a process that burns CPU in a group of each kind
// this host can give is counted there, as much as its own rusage says.
// v2 is proved even on a host that mounts only v1 for the controllers: a
// cgroup2 hierarchy can be mounted beside them (cpu.stat's usage_usec needs
// no controller).
func TestCgroupCountsRealProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make cgroups")
	}
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			g, err := DetectCPUGroups(version)
			if err != nil && version == "v2" {
				dir := t.TempDir()
				if merr := syscall.Mount("none", dir, "cgroup2", 0, ""); merr != nil {
					t.Skipf("no cgroup2 mounted (%v) and mounting one failed: %v", err, merr)
				}
				t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
				g = CPUGroups{Version: "v2", Mount: dir, Root: filepath.Join(dir, "tlvbench")}
				err = nil
			}
			if err != nil {
				t.Skipf("this host mounts no cgroup %s: %v", version, err)
			}
			cg := filepath.Join(g.Root, fmt.Sprintf("test-%d", os.Getpid()))
			child := filepath.Join(cg, "child")
			require.NoError(t, os.MkdirAll(child, 0o755))
			t.Cleanup(func() {
				for _, d := range []string{child, cg} {
					for i := 0; i < 50 && os.Remove(d) != nil; i++ {
						time.Sleep(20 * time.Millisecond)
					}
				}
			})
			// The shell joins the subgroup and burns CPU; the parent group
			// counts it too.
			cmd := exec.Command("/bin/sh", "-c",
				`echo $$ >"$0/cgroup.procs" && i=0 && while [ $i -lt 300000 ]; do i=$((i+1)); done`, child)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			own := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			require.Greater(t, own, 50*time.Millisecond, "the loop should burn CPU")
			inChild, err := g.Usage(child)
			require.NoError(t, err)
			inParent, err := g.Usage(cg)
			require.NoError(t, err)
			t.Logf("cgroup %s at %s: the process's rusage %v, its group %v, the parent %v", g.Version, g.Mount,
				own, time.Duration(inChild), time.Duration(inParent))
			// rusage is tick-sampled and scaled; the cgroup counts exactly,
			// from the echo on: the two agree within a tenth (and a tick).
			require.InDelta(t, float64(own), float64(inChild), 0.1*float64(own)+float64(10*time.Millisecond))
			require.GreaterOrEqual(t, inParent, inChild)
		})
	}
}

// A process's own threads, read twice around some work: the schedstat sum
// grows by about what the work took and, with no thread come or gone, is
// the exact figure.
func TestReadProcCPUSelf(t *testing.T) {
	hz := ClockTicks()
	a, err := ReadProcCPU(os.Getpid(), hz)
	require.NoError(t, err)
	deadline := time.Now().Add(200 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	b, err := ReadProcCPU(os.Getpid(), hz)
	require.NoError(t, err)
	ns, _ := b.Delta(a)
	// 200 ms of spinning on one thread, on a loaded 2-core machine: at
	// least a fifth of it ran; never more than the wall time on two cores.
	require.Greater(t, ns, int64(40*time.Millisecond))
	require.Less(t, ns, int64(2*time.Second))
}
