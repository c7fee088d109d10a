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

// bootFstabOptions are what every machine mounts with (newMachineOn
// writes them over the image's fstab, so the image and its cache key stay
// as they are): fstabOptions plus x-systemd.before=cloud-final.service.
// A nofail mount is ordered before nothing, so on a fast boot (Debian 13
// reaches cloud-final 1.6 s after start) write_files' deferred entries
// and runcmd in cloud-final may run before the mount is there: the files
// land under the mount point and are then hidden by it ("register: not
// found" in a CI run). Real NFS user data has the same race; the test
// orders the mount before cloud-final so that the scenarios test the
// stop hook, not the boot race (docs/versions.md).
const bootFstabOptions = fstabOptions + ",x-systemd.before=cloud-final.service"

// fstabLine is the image's /etc/fstab with the given mount options.
func fstabLine(options string) string {
	return exportDir + " " + mountPoint + " none " + options + " 0 0\n"
}

// imageFiles are the files every image gets: the NoCloud-only cloud-init
// configuration, the container's static address, the _netdev mount.
var imageFiles = map[string]string{
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
}

// debianRecipe is the image recipe for a Debian suite: the same packages,
// directories and files on every generation, so that a difference between
// two boots is a difference of Debian's cloud-init and systemd.
func debianRecipe(suite string) recipe {
	return recipe{
		Version:  1,
		Suite:    suite,
		Mirror:   "http://deb.debian.org/debian",
		Include:  []string{"systemd", "systemd-sysv", "dbus", "iproute2", "ifupdown", "netbase", "curl"},
		Packages: []string{"cloud-init"},
		Dirs: []string{
			mountPoint, exportDir,
			"/var/log/journal", // persistent journal: readable from the host after poweroff
		},
		Files:  imageFiles,
		Remove: []string{"/var/cache/apt/archives", "/var/lib/apt/lists", "/usr/share/doc", "/usr/share/man", "/usr/share/locale"},
	}
}

// imageRecipe is the Debian 12 image (cloud-init 22.4, systemd 252), the
// one the harness booted alone before Debian 13 joined; its recipe, and so
// its cache key, is unchanged.
var imageRecipe = debianRecipe("bookworm")

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

// osImage is one generation the scenarios boot: a Debian suite built by
// its recipe, cached as a tarball and extracted once per test process.
type osImage struct {
	// Name is the suite ("bookworm", "trixie"): the subtest name of every
	// scenario that boots it.
	Name string
	// Release says which generation of the tools it carries, for logs and
	// docs/versions.md.
	Release string
	// CloudInit and Systemd are the version prefixes the image must carry
	// (TestImageVersions): the generation the docs name, not whatever the
	// archive has today.
	CloudInit, Systemd string
	recipe             recipe

	once sync.Once
	dir  string // extracted root file system, shared read-only by every machine
	err  error
}

// The generations: Debian 12 and Debian 13 from the same archive.
var (
	bookwormImage = &osImage{Name: "bookworm", Release: "Debian 12: cloud-init 22.4, systemd 252", CloudInit: "22.4", Systemd: "252", recipe: imageRecipe}
	trixieImage   = &osImage{Name: "trixie", Release: "Debian 13: cloud-init 25.1, systemd 257", CloudInit: "25.1", Systemd: "257", recipe: debianRecipe("trixie")}
	allImages     = []*osImage{bookwormImage, trixieImage}
)

// bootImages returns the images every scenario boots, oldest first: all of
// them, or those named in UDKIT_E2E_IMAGES (comma-separated suite names,
// e.g. "trixie") to boot one generation while working on it. An unknown
// name is an error, not a smaller matrix.
func bootImages() ([]*osImage, error) {
	sel := strings.TrimSpace(os.Getenv("UDKIT_E2E_IMAGES"))
	if sel == "" {
		return allImages, nil
	}
	var imgs []*osImage
	for _, name := range strings.Split(sel, ",") {
		img := imageNamed(strings.TrimSpace(name))
		if img == nil {
			return nil, fmt.Errorf("e2e: UDKIT_E2E_IMAGES names %q; known images: bookworm, trixie", name)
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// imageNamed returns the image of a suite, or nil.
func imageNamed(name string) *osImage {
	for _, img := range allImages {
		if img.Name == name {
			return img
		}
	}
	return nil
}

// forEachImage runs fn as a subtest named after each image of bootImages:
// TestX/bookworm, TestX/trixie. A scenario that behaves differently on the
// two says so inside fn (img.Name) and docs/versions.md records why.
func forEachImage(t *testing.T, fn func(t *testing.T, img *osImage)) {
	t.Helper()
	imgs, err := bootImages()
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		t.Run(img.Name, func(t *testing.T) { fn(t, img) })
	}
}

// image is the temporary tree of this test process: the extracted images
// and the machines' overlays live below run.
var image struct {
	once sync.Once
	run  string
	err  error
}

// requireImage returns the extracted root file system of the default
// image (Debian 12), building or extracting it on first use. Scenarios
// that boot every generation use forEachImage and img.root instead.
func requireImage(t *testing.T) string {
	t.Helper()
	return bookwormImage.root(t)
}

// requireRun checks the tools and creates this process's temporary tree
// once; it fails the test when that is impossible.
func requireRun(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		realtools.Missing(t, "root: the e2e test mounts overlays, creates network namespaces and runs systemd-nspawn")
	}
	for _, tool := range []string{"debootstrap", "systemd-nspawn", "zstd", "tar", "ip", "nsenter", "mount", "umount", "journalctl", "chroot"} {
		realtools.Require(t, tool)
	}
	image.once.Do(func() {
		if err := sweepStale(); err != nil {
			image.err = err
			return
		}
		run, err := os.MkdirTemp(workDir(), runDirPrefix)
		if err != nil {
			image.err = fmt.Errorf("e2e: work directory: %w", err)
			return
		}
		image.run = run
		if err := os.WriteFile(filepath.Join(image.run, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			image.err = err
		}
	})
	if image.err != nil {
		t.Fatal(image.err)
	}
	return image.run
}

// root returns the image's extracted root file system, building the
// tarball or extracting it on first use. It fails the test when that is
// impossible.
func (img *osImage) root(t *testing.T) string {
	t.Helper()
	run := requireRun(t)
	img.once.Do(func() {
		start := time.Now()
		tarball, built, err := ensureTarball(img.recipe)
		if err != nil {
			img.err = err
			return
		}
		dir := filepath.Join(run, "rootfs-"+img.Name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			img.err = err
			return
		}
		if out, err := exec.Command("tar", "--numeric-owner", "--xattrs", "-I", "zstd", "-xpf", tarball, "-C", dir).CombinedOutput(); err != nil {
			img.err = fmt.Errorf("e2e: extracting %s: %v\n%s", tarball, err, out)
			return
		}
		img.dir = dir
		t.Logf("image %s (%s) ready in %s (built now: %v)", tarball, img.Release, time.Since(start).Round(time.Second), built)
	})
	if img.err != nil {
		t.Fatal(img.err)
	}
	return img.dir
}

// removeImage removes the extracted trees; called from TestMain.
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
	// Images of older recipes of the same suite are never used again; the
	// other suites' images stay.
	old, _ := filepath.Glob(filepath.Join(dir, "rootfs-"+r.Suite+"-*.tar.zst"))
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
