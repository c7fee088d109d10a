// Package e2e boots a real Debian with systemd and cloud-init in
// systemd-nspawn, feeds it user data through a NoCloud seed, and checks that
// a member registers at launch and deregisters at shutdown while the
// _netdev mount holding its scripts is still mounted and the network is
// still up. Every scenario boots two generations (forEachImage): Debian 12
// bookworm (cloud-init 22.4, systemd 252) and Debian 13 trixie (cloud-init
// 25.1, systemd 257); docs/versions.md records where they differ.
// TestSecondJudge runs the real-tool tests of the other packages again
// with Debian 13's cloud-init and systemd (internal/realtools, judge root).
//
// Every file except this one carries the build tag e2e, so `go test ./...`
// never boots a container; `make e2e` runs the tests (root required):
//
//	go test -tags 'e2e libsqlite3' -count=1 -timeout 30m -v ./e2e/...
//
// The harness builds a minimal Debian root file system per suite once with
// debootstrap and caches it as a zstd tarball (UDKIT_E2E_CACHE, default
// /var/cache/udkit-e2e), keyed by a hash of the recipe. Each test machine
// gets its own overlay over that tree (not nspawn's --volatile=overlay,
// whose tmpfs would lose cloud-init's per-instance state across the
// reboot that nspawn turns into an exit with status 133 and the harness
// into a second start), its own pair of network namespaces
// joined by a veth (192.0.2.1 on the host side, 192.0.2.2 in the
// container), a host directory bound into the container and mounted again
// by /etc/fstab with _netdev (the stand-in for NFS), and a NoCloud seed.
// Processes are stopped by PID and everything is unmounted and removed when
// the test ends, also on failure, after the container's journal and
// cloud-init.log have been printed.
package e2e
