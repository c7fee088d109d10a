// Package unit models systemd unit files, builds the canonical stop hook (a
// oneshot service whose ExecStop= deregisters an instance at shutdown) and
// lints units for the ways such a hook silently never runs.
//
// # Model
//
// A [Unit] is a list of [Section]s, each a list of [Option]s, in file order;
// keys may repeat, as systemd allows. [Parse] reads a unit file the way
// systemd does (comments, continuation lines) but turns every line systemd
// would warn about and skip into an error naming the line:
//
//	unit line 12: "ExecStop /bin/x" is neither Key=Value nor a [Section] header; ...
//
// [Unit.Marshal] renders a unit deterministically and refuses values that
// would change meaning on the way to disk: a newline or other control
// character (it would inject keys or sections), surrounding whitespace, a
// trailing backslash. For every unit Parse accepts, Parse(Marshal(u)) has the
// same sections and options.
//
// # Command lines, names and paths
//
// [Exec] writes argv as an Exec*= value with systemd's quoting: no shell, so
// '>' or '|' stay arguments; '%' doubled so specifiers do not expand; '$'
// doubled unless [ExpandVariables] is given. [ParseExec] reads such a value
// back. [ValidName] checks unit names and [EscapePath] escapes paths exactly
// like `systemd-escape --path`.
//
// # Stop hooks
//
// [StopHook] returns the unit and the runcmd lines that arm it
// (`systemctl daemon-reload`, `systemctl enable --now --no-block NAME`).
// The unit stays active after its start command (RemainAfterExit=yes), so
// systemd stops it, running ExecStop=, at shutdown, reboot and on
// `systemctl stop`; ordering after network-online.target keeps the network
// up until the command ends, and RequiresMountsFor= keeps the file systems
// it needs mounted. A stop hook cannot run when the machine loses power or
// is force-stopped: the registry needs its own expiry or sweep.
//
// # Lint
//
// [Lint] checks a unit meant as a stop hook and returns [Diagnostic]s with
// a line, a [Severity], a stable rule id from [Rules] and a message that
// says how to fix it.
package unit
