// Package cloudconfig is a typed model of the cloud-init cloud-config that
// udkit writes and its users extend, rendered as deterministic YAML and
// parsed back the way cloud-init reads it.
//
// A [Config] holds the keys udkit writes as typed fields (write_files,
// bootcmd, runcmd, packages, package_update, package_upgrade, mounts,
// final_message) and keeps every other key verbatim, in order, in
// [Config.Extra], so that any cloud-config survives [Parse] and
// [Config.Marshal] without losing a key.
//
// Commands keep the distinction cloud-init makes: [Argv] is a list of words
// that cloud-init quotes one by one (no shell, the safe default), [Shell] a
// string that /bin/sh interprets.
//
// Guarantees of [Config.Marshal]:
//   - the output starts with "#cloud-config\n", uses two-space indentation
//     and a fixed key order, and ends with exactly one newline;
//   - multi-line strings are literal block scalars, so golden files read
//     like the files they describe; tabs stay verbatim in them. Text that
//     a block scalar cannot hold exactly is double-quoted instead: a space
//     before a line break or at the end, a tab as the very first
//     character (yaml.v3 cannot read that back), a leading line break,
//     a CR or another control character;
//   - strings that YAML 1.1 (cloud-init's PyYAML) or YAML 1.2 would read as
//     something else ("on", "yes", "0644", "a: b", "*x") are quoted;
//   - the same Config renders to the same bytes, always.
//
// [Parse] reads scalars with YAML 1.1 rules, as cloud-init does, and reports
// errors with line:column. It is safe on untrusted input: it refuses
// documents over [MaxSize] bytes and aliases that expand to more than ten
// times the document (at least 1 MiB). [Lint] and [Config.Validate] inflate
// at most 4 MiB of gzip write_files content per config, all entries
// together; Validate reports the entries past that. [WithBudget] makes
// Parse, Validate, Lint and [WriteFile.Data] share one budget for all the
// cloud-configs of a user data document (udkit.NewBudget), so that many
// parts, many aliases or many checks do not multiply the work: each
// distinct write_files content is decoded once under it, and each distinct
// string is searched for secrets once.
//
// The package imports neither udkit's userdata nor its unit package, and
// builds with CGO_ENABLED=0.
package cloudconfig
