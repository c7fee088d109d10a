// Package udkit composes cloud-init user data for instances that must clean
// up after themselves: register at launch, deregister at shutdown.
//
// The library is split into leaf packages that depend on nothing but the
// standard library and one YAML package, and a root package that composes
// them:
//
//   - [github.com/udkit/udkit/userdata] composes and decodes multipart MIME
//     user data (gzip, base64, EC2's 16 KB limit) the way cloud-init reads it.
//   - [github.com/udkit/udkit/cloudconfig] is a typed model of cloud-config
//     (write_files, runcmd, mounts, ...) rendered as deterministic YAML.
//   - [github.com/udkit/udkit/unit] models systemd units, builds the
//     canonical stop hook and lints units for the ways such hooks silently
//     never run.
//   - [github.com/udkit/udkit/golden] holds golden-file assertions for tests,
//     ours and our users'.
//
// The leaves never import each other, never import cgo packages, and build
// with CGO_ENABLED=0. Only the registry daemon (cmd/udkitd) needs cgo, for
// dqlite.
//
// Output is deterministic: the same input gives the same bytes on every run
// and machine, so deployment tools can keep golden copies of the user data
// they ship.
package udkit
