//go:build e2e && linux

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/internal/realtools"
)

// recipe says how the test image is built. Its hash names the cached
// tarball, so changing any field builds a new image.
type recipe struct {
	Version  int               // bump when the build steps below change
	Suite    string            // Debian suite for debootstrap
	Mirror   string            // Debian mirror
	Include  []string          // packages debootstrap installs
	Packages []string          // installed afterwards with apt-get (cloud-init's dependencies do not resolve in debootstrap)
	Dirs     []string          // created empty
	Files    map[string]string // written after the packages, path -> content
	Remove   []string          // removed to keep the tarball small
}

// Fixed addresses of the test network: each machine has its own pair of
// network namespaces, so every machine uses the same two.
const (
	hostAddr      = "192.0.2.1"
	containerAddr = "192.0.2.2"
	// mountPoint is the _netdev mount (the stand-in for NFS), mounted by
	// /etc/fstab in the image from exportDir, which the harness binds from a
	// host directory.
	mountPoint = "/mnt/shared"
	exportDir  = "/srv/export"
)

// fstabOptions mount the stand-in for NFS. _netdev makes it a remote
// mount, ordered after network-online.target; nofail is what cloud-init's
// mounts module adds by default, and it takes the mount out of
// remote-fs.target's ordering, so that only RequiresMountsFor= keeps it
// mounted while the hook runs (TestControlMountGone shows both cases).
const fstabOptions = "bind,_netdev,nofail"

// fstabLine is the image's /etc/fstab with the given mount options.
func fstabLine(options string) string {
	return exportDir + " " + mountPoint + " none " + options + " 0 0\n"
}

var imageRecipe = recipe{
	Version:  1,
	Suite:    "bookworm",
	Mirror:   "http://deb.debian.org/debian",
	Include:  []string{"systemd", "systemd-sysv", "dbus", "iproute2", "ifupdown", "netbase", "curl"},
	Packages: []string{"cloud-init"},
	Dirs: []string{
		mountPoint, exportDir,
		"/var/log/journal", // persistent journal: readable from the host after poweroff
	},
	Files: map[string]string{
		"/etc/cloud/cloud.cfg.d/90-udkit-e2e.cfg": "" +
			"# udkit e2e image: NoCloud seed only, the network is ifupdown's.\n" +
			"datasource_list: [NoCloud, None]\n" +
			"network: {config: disabled}\n" +
			"locale: C.UTF-8\n",
		"/etc/network/interfaces.d/eth0": "" +
			"auto eth0\n" +
			"iface eth0 inet static\n" +
			"    address " + containerAddr + "/24\n",
		"/etc/fstab":    fstabLine(fstabOptions),
		"/etc/hostname": "udkit-e2e\n",
		// Empty: every boot of a fresh overlay gets its own machine ID.
		"/etc/machine-id": "",
	},
	Remove: []string{"/var/cache/apt/archives", "/var/lib/apt/lists", "/usr/share/doc", "/usr/share/man", "/usr/share/locale"},
}

func (r recipe) key() string {
	b, err := json.Marshal(r) // map keys are sorted: stable
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(b)
	return r.Suite + "-" + hex.EncodeToString(sum[:])[:12]
}

// cacheDir is where image tarballs are kept between runs.
func cacheDir() string {
	if d := os.Getenv("UDKIT_E2E_CACHE"); d != "" {
		return d
	}
	return "/var/cache/udkit-e2e"
}

// workDir is where the image is extracted and machines keep their
// overlays; it must not be a tmpfs too small for ~250 MB.
func workDir() string {
	if d := os.Getenv("UDKIT_E2E_WORKDIR"); d != "" {
		return d
	}
	return "/var/tmp"
}

var image struct {
	once sync.Once
	dir  string // extracted root file system, shared read-only by every machine
	run  string // the temporary tree holding it
	err  error
}

// requireImage returns the extracted root file system, building or
// extracting it on first use. It fails the test when that is impossible.
func requireImage(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		realtools.Missing(t, "root: the e2e test mounts overlays, creates network namespaces and runs systemd-nspawn")
	}
	for _, tool := range []string{"debootstrap", "systemd-nspawn", "zstd", "tar", "ip", "nsenter", "mount", "umount", "journalctl", "chroot"} {
		realtools.Require(t, tool)
	}
	image.once.Do(func() {
		start := time.Now()
		tarball, built, err := ensureTarball(imageRecipe)
		if err != nil {
			image.err = err
			return
		}
		if err := sweepStale(); err != nil {
			image.err = err
			return
		}
		image.run, err = os.MkdirTemp(workDir(), runDirPrefix)
		if err != nil {
			image.err = fmt.Errorf("e2e: work directory: %w", err)
			return
		}
		if err := os.WriteFile(filepath.Join(image.run, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			image.err = err
			return
		}
		image.dir = filepath.Join(image.run, "rootfs")
		if err := os.Mkdir(image.dir, 0o755); err != nil {
			image.err = err
			return
		}
		if out, err := exec.Command("tar", "--numeric-owner", "--xattrs", "-I", "zstd", "-xpf", tarball, "-C", image.dir).CombinedOutput(); err != nil {
			image.err = fmt.Errorf("e2e: extracting %s: %v\n%s", tarball, err, out)
			return
		}
		t.Logf("image %s ready in %s (built now: %v)", tarball, time.Since(start).Round(time.Second), built)
	})
	if image.err != nil {
		t.Fatal(image.err)
	}
	return image.dir
}

// removeImage removes the extracted tree; called from TestMain.
func removeImage() error {
	if image.run == "" {
		return nil
	}
	return removeTree(image.run)
}

// ensureTarball returns the cached tarball for r, building it first when it
// is missing. A lock file keeps two test processes from building at once.
func ensureTarball(r recipe) (path string, built bool, err error) {
	dir := cacheDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("e2e: image cache %s: %w", dir, err)
	}
	path = filepath.Join(dir, "rootfs-"+r.key()+".tar.zst")
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", false, fmt.Errorf("e2e: image cache lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", false, fmt.Errorf("e2e: image cache lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(path); err == nil {
		return path, false, nil
	}
	// Builds left by a killed run (we hold the lock: none is running).
	if stale, _ := filepath.Glob(filepath.Join(dir, "build-*")); stale != nil {
		for _, d := range stale {
			if err := removeTree(d); err != nil {
				return "", false, fmt.Errorf("e2e: removing the stale build %s: %w", d, err)
			}
		}
	}
	build, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", false, fmt.Errorf("e2e: image build directory: %w", err)
	}
	defer removeTree(build)
	root := filepath.Join(build, "rootfs")
	if err := buildRootfs(r, root); err != nil {
		return "", false, err
	}
	tmp := filepath.Join(build, "rootfs.tar.zst")
	if out, err := exec.Command("tar", "--numeric-owner", "--xattrs", "-I", "zstd -T0 -3", "-cf", tmp, "-C", root, ".").CombinedOutput(); err != nil {
		return "", false, fmt.Errorf("e2e: packing the image: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", false, fmt.Errorf("e2e: storing the image: %w", err)
	}
	// Images of older recipes are never used again.
	old, _ := filepath.Glob(filepath.Join(dir, "rootfs-*.tar.zst"))
	for _, o := range old {
		if o != path {
			os.Remove(o)
		}
	}
	return path, true, nil
}

// buildRootfs runs debootstrap and apt-get and writes the recipe's files.
func buildRootfs(r recipe, root string) error {
	steps := [][]string{
		{"debootstrap", "--variant=minbase", "--include=" + strings.Join(r.Include, ","), r.Suite, root, r.Mirror},
		append([]string{"chroot", root, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends"}, r.Packages...),
		{"chroot", root, "apt-get", "clean"},
	}
	for _, argv := range steps {
		cmd := exec.Command(argv[0], argv[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("e2e: building the image: %s: %v\n%s", strings.Join(argv, " "), err, tail(out.String(), 40))
		}
	}
	if err := checkNoMounts(root); err != nil {
		return err
	}
	for _, d := range r.Dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("e2e: building the image: %w", err)
		}
	}
	paths := make([]string, 0, len(r.Files))
	for p := range r.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("e2e: building the image: %w", err)
		}
		os.Remove(full) // machine-id is read-only
		if err := os.WriteFile(full, []byte(r.Files[p]), 0o644); err != nil {
			return fmt.Errorf("e2e: building the image: %w", err)
		}
	}
	for _, p := range r.Remove {
		if err := os.RemoveAll(filepath.Join(root, p)); err != nil {
			return fmt.Errorf("e2e: building the image: %w", err)
		}
	}
	return nil
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var found []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountinfo(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			found = append(found, mp)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(found)))
	return found, nil
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func checkNoMounts(dir string) error {
	m, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	if len(m) > 0 {
		return fmt.Errorf("e2e: %s still has mounts below it: %s", dir, strings.Join(m, ", "))
	}
	return nil
}

// removeTree unmounts whatever is still mounted below dir and removes it.
// It refuses to remove anything while a mount remains, so a bind mount of
// a host directory can never be emptied by mistake.
func removeTree(dir string) error {
	dir = filepath.Clean(dir)
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mounts {
		if out, err := exec.Command("umount", mp).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("umount %s: %v: %s", mp, err, bytes.TrimSpace(out)))
		}
	}
	if err := checkNoMounts(dir); err != nil {
		return errors.Join(append(errs, err)...)
	}
	return os.RemoveAll(dir)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[... %d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
