// Package linuxguest builds and describes the lab's test guests that run
// Linux: Debian's kernel (linux-image-amd64's /boot/vmlinuz-VERSION) booted
// directly by QEMU with an initramfs of busybox-static, the virtio drivers
// from /lib/modules/VERSION and an /init (init.sh) that loads them, puts a
// link-local address on eth0 and then reads and writes its disk and pings
// its peer guest once a second. Everything comes from installed Debian
// packages; nothing is downloaded. The guests report what a guest OS
// reports (balloon statistics, traffic both ways through virtio-net, disk
// I/O through virtio-blk), which the boot-sector guests of bootguest cannot.
// Only tests and the lab import it.
package linuxguest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

//go:embed init.sh
var initScript []byte

// Modules are the drivers the guest needs, by module name; the build adds
// the modules they depend on (modules.dep).
var Modules = []string{"virtio_pci", "virtio_blk", "virtio_net", "virtio_balloon"}

// Busybox is the static busybox of busybox-static.
const Busybox = "/bin/busybox"

// format changes when the build makes a different initramfs from the same
// inputs: it is part of the cache key.
const format = "linuxguest-2"

// Artifacts are what a guest boots.
type Artifacts struct {
	KernelVersion string
	// Kernel is what QEMU boots: the ELF image unpacked from
	// /boot/vmlinuz-KernelVersion when that kernel can be booted so (PVH),
	// else a copy of it.
	Kernel string
	Initrd string // the gzipped cpio initramfs
	// Key identifies the inputs the artifacts were built from (hex
	// SHA-256): it changes when the kernel, a module, busybox or /init does.
	Key string
}

// Build makes the kernel and initramfs in cacheDir, or keeps the ones
// there when they were built from the same inputs. kernelVersion "" takes
// the newest kernel in /boot that has its modules in /lib/modules.
func Build(cacheDir, kernelVersion string) (Artifacts, error) {
	return build(cacheDir, kernelVersion, "/boot", "/lib/modules")
}

func build(cacheDir, kernelVersion, bootDir, modulesRoot string) (Artifacts, error) {
	if kernelVersion == "" {
		v, err := newestKernel(bootDir, modulesRoot)
		if err != nil {
			return Artifacts{}, err
		}
		kernelVersion = v
	}
	kernel := filepath.Join(bootDir, "vmlinuz-"+kernelVersion)
	modDir := filepath.Join(modulesRoot, kernelVersion)
	dep, err := os.ReadFile(filepath.Join(modDir, "modules.dep"))
	if err != nil {
		return Artifacts{}, fmt.Errorf("kernel %s: %w (is linux-image-amd64 installed?)", kernelVersion, err)
	}
	order, err := loadOrder(parseModulesDep(dep), Modules)
	if err != nil {
		return Artifacts{}, fmt.Errorf("kernel %s: %w", kernelVersion, err)
	}

	// The key: what the initramfs and kernel are made of, each file by its
	// path, size and modification time (a package upgrade changes them).
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", format, kernelVersion)
	h.Write(initScript)
	config := filepath.Join(bootDir, "config-"+kernelVersion)
	inputs := []string{kernel, Busybox}
	if exists(config) {
		inputs = append(inputs, config)
	}
	for _, m := range order {
		inputs = append(inputs, filepath.Join(modDir, m))
	}
	for _, p := range inputs {
		fi, err := os.Stat(p)
		if err != nil {
			return Artifacts{}, err
		}
		fmt.Fprintf(h, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
	}
	a := Artifacts{
		KernelVersion: kernelVersion,
		Kernel:        filepath.Join(cacheDir, "vmlinuz"),
		Initrd:        filepath.Join(cacheDir, "initrd.img"),
		Key:           hex.EncodeToString(h.Sum(nil)),
	}
	keyFile := filepath.Join(cacheDir, "inputs.sha256")
	if old, err := os.ReadFile(keyFile); err == nil && strings.TrimSpace(string(old)) == a.Key &&
		exists(a.Kernel) && exists(a.Initrd) {
		return a, nil
	}

	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return Artifacts{}, err
	}
	k, err := bootImage(kernel, config)
	if err != nil {
		return Artifacts{}, err
	}
	img, err := initramfs(modDir, order)
	if err != nil {
		return Artifacts{}, err
	}
	// The key last: a build cut short is redone.
	for _, f := range []struct {
		path string
		data []byte
	}{{a.Kernel, k}, {a.Initrd, img}, {keyFile, []byte(a.Key + "\n")}} {
		if err := writeFileAtomic(f.path, f.data); err != nil {
			return Artifacts{}, err
		}
	}
	return a, nil
}

// bootImage is the kernel QEMU is to boot. A bzImage makes the guest
// decompress itself, which under TCG takes longer than all the rest of
// the boot (Debian's xz kernel: 44 s to ready against 11 s, on a loaded
// host). A kernel built with CONFIG_PVH can instead be booted as the ELF
// inside the bzImage, which QEMU loads itself: that is what this returns
// when the config says PVH and the payload is xz (Debian's choice); else
// the bzImage as it is.
func bootImage(kernel, config string) ([]byte, error) {
	bz, err := os.ReadFile(kernel)
	if err != nil {
		return nil, err
	}
	// Without the kernel's config, or without PVH, the bzImage boots as it
	// is (slower: it decompresses itself under TCG).
	cfg, _ := os.ReadFile(config)
	if !bytes.Contains(cfg, []byte("\nCONFIG_PVH=y\n")) {
		return bz, nil
	}
	i := bytes.Index(bz, []byte("\xfd7zXZ\x00"))
	if i < 0 {
		return bz, nil
	}
	var stderr bytes.Buffer
	cmd := exec.Command("xz", "-dc", "--single-stream")
	cmd.Stdin = bytes.NewReader(bz[i:])
	cmd.Stderr = &stderr
	elf, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("unpacking %s with xz: %w: %s", kernel, err, stderr.Bytes())
	}
	if !bytes.HasPrefix(elf, []byte("\x7fELF")) {
		return nil, fmt.Errorf("%s: its xz payload is not an ELF image", kernel)
	}
	return elf, nil
}

// newestKernel is the highest version of /boot/vmlinuz-VERSION that has
// a modules.dep.
func newestKernel(bootDir, modulesRoot string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(bootDir, "vmlinuz-*"))
	if err != nil {
		return "", err
	}
	var versions []string
	for _, p := range paths {
		v := strings.TrimPrefix(filepath.Base(p), "vmlinuz-")
		if exists(filepath.Join(modulesRoot, v, "modules.dep")) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return "", fmt.Errorf("no kernel in %s with modules in %s: install linux-image-amd64", bootDir, modulesRoot)
	}
	slices.SortFunc(versions, compareVersions)
	return versions[len(versions)-1], nil
}

// compareVersions orders kernel versions by their numbers: 6.1.0-10 after
// 6.1.0-9.
func compareVersions(a, b string) int {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	}
	x, y := split(a), split(b)
	for i := 0; i < len(x) && i < len(y); i++ {
		n, errN := strconv.Atoi(x[i])
		m, errM := strconv.Atoi(y[i])
		switch {
		case errN == nil && errM == nil && n != m:
			return n - m
		case (errN != nil || errM != nil) && x[i] != y[i]:
			return strings.Compare(x[i], y[i])
		}
	}
	return len(x) - len(y)
}

// parseModulesDep reads modules.dep ("path: dep1 dep2 ...", paths relative
// to the modules directory) into each module's name and path and the
// paths it needs.
func parseModulesDep(b []byte) map[string]module {
	mods := map[string]module{}
	for _, line := range strings.Split(string(b), "\n") {
		path, deps, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		mods[moduleName(path)] = module{path: path, deps: strings.Fields(deps)}
	}
	return mods
}

type module struct {
	path string
	deps []string // paths
}

// moduleName is the module's name from its path: kernel/drivers/virtio/virtio_pci.ko.xz
// is virtio_pci; the kernel treats - and _ alike, as do we.
func moduleName(path string) string {
	base := filepath.Base(path)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// loadOrder is the paths of the wanted modules and of every module they
// need, each after the ones it needs. modules.dep lists a module's
// dependencies, direct and indirect, so that loading them in reverse order
// before it works; the walk below does not rely on that.
func loadOrder(mods map[string]module, wanted []string) ([]string, error) {
	var order []string
	done := map[string]bool{}
	var visit func(name string, from []string) error
	visit = func(name string, from []string) error {
		if done[name] {
			return nil
		}
		if slices.Contains(from, name) {
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(from, name), " -> "))
		}
		m, ok := mods[name]
		if !ok {
			if len(from) == 0 {
				return fmt.Errorf("no module %s in modules.dep (is it built in or missing?)", name)
			}
			return fmt.Errorf("module %s needs %s, which modules.dep does not list", from[len(from)-1], name)
		}
		for _, d := range m.deps {
			if err := visit(moduleName(d), append(from, name)); err != nil {
				return err
			}
		}
		done[name] = true
		order = append(order, m.path)
		return nil
	}
	for _, w := range wanted {
		if err := visit(w, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// initramfs is the gzipped newc cpio archive: busybox, the modules
// decompressed (busybox's insmod reads plain .ko files), /modules.order
// and /init.
func initramfs(modDir string, order []string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	w := &cpioWriter{w: gz}
	for _, d := range []string{"bin", "dev", "proc", "sys", "lib", "lib/modules"} {
		w.dir(d)
	}
	// The kernel opens /dev/console for /init's output before /init
	// mounts devtmpfs.
	w.charDev("dev/console", 5, 1)
	bb, err := os.ReadFile(Busybox)
	if err != nil {
		return nil, fmt.Errorf("%w (is busybox-static installed?)", err)
	}
	w.file("bin/busybox", 0o755, bb)
	w.file("init", 0o755, initScript)
	var names []string
	for _, path := range order {
		ko, err := readModule(filepath.Join(modDir, path))
		if err != nil {
			return nil, err
		}
		name := moduleName(path) + ".ko"
		w.file("lib/modules/"+name, 0o644, ko)
		names = append(names, name)
	}
	w.file("modules.order", 0o644, []byte(strings.Join(names, "\n")+"\n"))
	w.trailer()
	if w.err != nil {
		return nil, w.err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readModule is a module file's contents, decompressed with xz or zstd
// when the kernel package compressed it.
func readModule(path string) ([]byte, error) {
	var tool string
	switch {
	case strings.HasSuffix(path, ".ko"):
		return os.ReadFile(path)
	case strings.HasSuffix(path, ".ko.xz"):
		tool = "xz"
	case strings.HasSuffix(path, ".ko.zst"):
		tool = "zstd"
	default:
		return nil, fmt.Errorf("module %s: unknown compression (valid: .ko, .ko.xz, .ko.zst)", path)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(tool, "-dc", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s -dc %s: %w: %s", tool, path, err, stderr.Bytes())
	}
	return out, nil
}

// cpioWriter writes the "newc" cpio format the kernel unpacks an
// initramfs from: a 110-byte ASCII header per entry, the name and the
// data each padded to 4 bytes. Times are 0 so that the same inputs make
// the same archive.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeChr  = 0o020000
)

func (c *cpioWriter) dir(name string) { c.entry(name, modeDir|0o755, 0, 0, nil) }
func (c *cpioWriter) trailer()        { c.entry("TRAILER!!!", 0, 0, 0, nil) }
func (c *cpioWriter) file(name string, perm int, data []byte) {
	c.entry(name, modeFile|perm, 0, 0, data)
}

func (c *cpioWriter) charDev(name string, major, minor int) {
	c.entry(name, modeChr|0o600, major, minor, nil)
}

func (c *cpioWriter) entry(name string, mode, rmajor, rminor int, data []byte) {
	if c.err != nil {
		return
	}
	c.ino++
	nlink := 1
	if mode&modeDir != 0 {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmajor, rminor, len(name)+1, 0)
	var b bytes.Buffer
	b.WriteString(hdr)
	b.WriteString(name)
	b.WriteByte(0)
	pad(&b, b.Len())
	b.Write(data)
	pad(&b, len(data))
	_, c.err = c.w.Write(b.Bytes())
}

func pad(b *bytes.Buffer, n int) {
	for ; n%4 != 0; n++ {
		b.WriteByte(0)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeFileAtomic replaces path with data so that a reader (a QEMU being
// started) sees the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return nil
}
