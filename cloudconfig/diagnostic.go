package cloudconfig

import (
	"fmt"
	"strings"

	"github.com/udkit/udkit/diag"
)

// ValidationError is the error [Config.Validate] returns: every problem
// found, in document order, each a [diag.Diagnostic] with its YAML path
// (and its line and column when the config came from [Parse]). Most are of
// severity [diag.Error]; what a real boot does as written (a file under
// /tmp, an unquoted octal or decimal-looking mode) is a [diag.Warning].
type ValidationError struct {
	// Diagnostics lists the problems.
	Diagnostics diag.List
}

// Error lists the problems, one per line after the first.
func (e *ValidationError) Error() string {
	if len(e.Diagnostics) == 1 {
		return "cloudconfig: " + problem(e.Diagnostics[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cloudconfig: %d problems:", len(e.Diagnostics))
	for _, d := range e.Diagnostics {
		b.WriteString("\n\t")
		b.WriteString(problem(d))
	}
	return b.String()
}

// problem formats a finding of Validate as "PATH: line L:C: MESSAGE
// [RULE]", with "warning: " before MESSAGE when it is not an error.
func problem(d diag.Diagnostic) string {
	s := d.Message + " [" + d.Rule + "]"
	if d.Severity == diag.Warning {
		s = "warning: " + s
	}
	if loc := d.Location(); loc != "" {
		s = loc + ": " + s
	}
	return s
}

// ParseError is the error of [Parse]: where the document stops being
// cloud-config cloud-init reads, and why.
type ParseError struct {
	// Line and Column are 1-based positions in the document; Column is 0
	// where the YAML decoder does not give it (syntax errors), Line is 0
	// for a problem of the whole document (its size).
	Line, Column int
	// Message says what is wrong and what to do, without the position.
	Message string
}

// Error formats e as "cloudconfig: line L:C: MESSAGE".
func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("cloudconfig: line %d:%d: %s", e.Line, e.Column, e.Message)
	case e.Line > 0:
		return fmt.Sprintf("cloudconfig: line %d: %s", e.Line, e.Message)
	}
	return "cloudconfig: " + e.Message
}

// Diagnostic returns e as a finding of rule [RuleParse].
func (e *ParseError) Diagnostic() diag.Diagnostic {
	return diag.Diagnostic{Line: e.Line, Column: e.Column, Severity: diag.Error, Rule: RuleParse, Message: e.Message}
}

func parseErrorf(line, col int, format string, args ...any) *ParseError {
	return &ParseError{Line: line, Column: col, Message: fmt.Sprintf(format, args...)}
}

// RuleParse is the rule id of a document [Parse] refuses ([ParseError]).
const RuleParse = "cloud-config-parse"

// rules documents every rule of [Config.Validate] and [Lint].
var rules = []diag.Rule{
	{ID: RuleParse, Severity: diag.Error, Doc: "The document is not cloud-config cloud-init reads: no #cloud-config header, a YAML syntax error, not a mapping, a duplicate or non-string top-level key, too large."},
	// Validate.
	{ID: "extra-nil", Severity: diag.Error, Doc: "An Extra key has a nil value (a Config built in Go); set a YAML node or remove the key."},
	{ID: "extra-typed", Severity: diag.Error, Doc: "A key is set both in its typed field and in Extra (a Config built in Go); keep one."},
	{ID: "empty", Severity: diag.Error, Doc: "A value that must not be empty (a package name, a mount's device, a command's program) is empty."},
	{ID: "utf8", Severity: diag.Error, Doc: "A string is not valid UTF-8, which YAML cannot hold; write_files content takes any bytes through SetData."},
	{ID: "nul", Severity: diag.Error, Doc: "A string holds a NUL byte."},
	{ID: "mount-fields", Severity: diag.Error, Doc: "A mounts entry is empty or has more than the six fstab fields."},
	{ID: "mount-type", Severity: diag.Error, Doc: "A mounts entry is not a list."},
	{ID: "command-empty", Severity: diag.Error, Doc: "A bootcmd or runcmd entry is an empty command or an empty argv list."},
	{ID: "command-type", Severity: diag.Error, Doc: "A bootcmd or runcmd entry is neither a string (run by sh) nor a list of strings (argv); an unquoted \": \" makes it a mapping."},
	{ID: "package-type", Severity: diag.Error, Doc: "A packages entry with a version is not a list of two strings [name, version]."},
	{ID: "bool", Severity: diag.Error, Doc: "A value that must be true or false is something else."},
	{ID: "list", Severity: diag.Error, Doc: "A key that takes a list has something else, or an empty list, which cloud-init's schema rejects."},
	{ID: "string", Severity: diag.Error, Doc: "A value that must be a string is a number, a boolean, null, a list or a mapping."},
	{ID: "write-file-type", Severity: diag.Error, Doc: "A write_files entry is not a mapping."},
	{ID: "write-file-key", Severity: diag.Error, Doc: "A write_files entry has a key cloud-init's schema does not allow."},
	{ID: "path-absolute", Severity: diag.Error, Doc: "A write_files path is missing, empty or relative (cloud-init would resolve it against its own working directory)."},
	{ID: "path-newline", Severity: diag.Error, Doc: "A write_files path holds a line break."},
	{ID: "path-directory", Severity: diag.Error, Doc: "A write_files path names a directory."},
	{ID: "path-clean", Severity: diag.Error, Doc: "A write_files path is not clean (//, /./, /../ or a trailing slash)."},
	{ID: "path-tmp", Severity: diag.Warning, Doc: "A write_files path is under /tmp, which is emptied at boot while write_files runs once per instance (a file consumed in the same first boot works)."},
	{ID: "path-duplicate", Severity: diag.Error, Doc: "Two write_files entries write the same path without append: the later replaces the earlier."},
	{ID: "encoding", Severity: diag.Error, Doc: "A write_files encoding is none of those cloud-init accepts (b64, base64, gz+b64, gzip+base64, ...)."},
	{ID: "content-encoding", Severity: diag.Error, Doc: "A write_files content does not decode as its encoding says (bad base64, bad gzip, or a gzip bomb)."},
	{ID: "owner", Severity: diag.Error, Doc: "A write_files owner is not user or user:group with valid names (cloud-init looks owners up by name, not id)."},
	{ID: "permissions-octal", Severity: diag.Error, Doc: "A write_files permissions value is not a quoted octal mode."},
	{ID: "permissions-decimal", Severity: diag.Warning, Doc: "A write_files permissions string reads as octal but is the decimal form of another mode."},
	{ID: "permissions-unquoted", Severity: diag.Error, Doc: "An unquoted permissions number: an error when it is not octal-looking (644 is the decimal number cloud-init applies as mode 1204), a warning when it is (YAML 1.1 reads 0644 as 420 == 0o644, the mode meant, against cloud-init's schema)."},
	// Lint.
	{ID: RuleEnableNow, Severity: diag.Error, Doc: "`systemctl enable UNIT` without --now does not start UNIT: an error when write_files writes UNIT with ExecStop= (the first shutdown deregisters nothing), a warning otherwise."},
	{ID: RuleNoBlock, Severity: diag.Error, Doc: "A blocking `systemctl start` (or enable --now) in runcmd, which runs inside cloud-final.service, hangs for ever when UNIT is ordered after cloud-final.service or a later target: an error when write_files writes such a unit, a warning otherwise; add --no-block."},
	{ID: RuleDaemonReload, Severity: diag.Warning, Doc: "runcmd starts or enables a unit write_files writes without `systemctl daemon-reload` before it."},
	{ID: RuleSecret, Severity: diag.Warning, Doc: "Text that looks like a credential (cloud access key, private key block, token): user data is readable by every process on the instance."},
	{ID: RuleOwnerBeforeUsers, Severity: diag.Warning, Doc: "A write_files owner other than root without defer: true: write_files runs before cloud-init creates users."},
	{ID: RulePathVolatile, Severity: diag.Warning, Doc: "A write_files path under /run or /var/tmp does not survive a reboot, while write_files runs once per instance."},
}

// Lint rule ids.
const (
	RuleEnableNow        = "systemctl-enable-now"
	RuleNoBlock          = "systemctl-no-block"
	RuleDaemonReload     = "systemctl-daemon-reload"
	RuleSecret           = "secret"
	RuleOwnerBeforeUsers = "owner-before-users"
	RulePathVolatile     = "path-volatile"
)

// Rules returns every rule of [Parse] (as [RuleParse]), [Config.Validate]
// and [Lint], in a fixed order.
func Rules() []diag.Rule { return append([]diag.Rule(nil), rules...) }
