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
// Below them, [github.com/udkit/udkit/diag] (standard library only) is the
// one vocabulary of findings every package returns: [diag.Diagnostic]
// (part, YAML path, line, severity, rule id, message), [diag.Severity]
// (Info < Warning < Error), [diag.Rule]. The root re-exports what a caller
// needs ([Diagnostic], [Severity], [Part], [GzipMode]), so a program that
// composes user data imports the root package (and cloudconfig for extra
// cloud-config) only.
//
// The leaves never import each other, never import cgo packages, and build
// with CGO_ENABLED=0. Only the registry daemon (cmd/udkitd) needs cgo, for
// dqlite.
//
// # Composition
//
// The root package composes the leaves: [Build] turns a [Spec] (the
// instance's name, what registers it at launch, what deregisters it at
// shutdown, the mounts those commands need, environment, extra files,
// cloud-config and parts) into a [Bundle]: the stop hook of
// [github.com/udkit/udkit/unit.StopHook] written by write_files, the
// scripts and environment it needs, runcmd lines that reload systemd, arm
// the hook with `systemctl enable --now --no-block` and register, and the
// finished [github.com/udkit/udkit/userdata.Document]. [Bundle.Encode]
// and [Render] encode it with gzip, base64 and a size limit, and refuse
// user data in which the unit, cloud-config or user-data rules find an
// error unless [Options.AcceptErrors] says otherwise; [Options.Ignore]
// silences rules by id ([Rules] lists them all). The zero [Options] are
// the spec file's defaults.
//
// # Errors
//
// Every error a caller may branch on is found by errors.As: a
// *[SpecError] lists every problem of a spec with its field path (and, for
// a spec file, its line), a *[LintError] the lint errors that stopped the
// encoding, a *userdata.SizeError the sizes of a document over the limit.
//
// [ReadSpecFile] and [ParseSpecFile] read the same spec from YAML (the
// format of the udkit command's render), reporting unknown keys, wrong
// types and bad values with their line and YAML path. [Lint] checks user
// data, cloud-config or a unit file from anywhere.
//
// Output is deterministic: the same input gives the same bytes on every run
// and machine, so deployment tools can keep golden copies of the user data
// they ship.
package udkit
