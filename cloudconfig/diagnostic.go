package cloudconfig

import (
	"fmt"
	"strings"
)

// Severity says how bad a [Diagnostic] is.
type Severity int

const (
	// Error is a problem that makes cloud-init reject the config, ignore
	// part of it, or silently do something else than meant.
	Error Severity = iota + 1
	// Warning is a likely mistake or a risk that still works as written.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Diagnostic is one problem found by [Config.Validate] or [Lint].
type Diagnostic struct {
	// Path is the YAML path of the offending value, for example
	// "write_files[2].path" or "runcmd[0][1]".
	Path string
	// Severity is Error or Warning.
	Severity Severity
	// Rule is a short stable identifier of the check, for example
	// "path-absolute" or "systemctl-no-block".
	Rule string
	// Message says what is wrong and what to do, in lower case.
	Message string
}

// String formats d as "PATH: MESSAGE [RULE]", with "warning: " before the
// message for warnings.
func (d Diagnostic) String() string {
	sev := ""
	if d.Severity == Warning {
		sev = "warning: "
	}
	return fmt.Sprintf("%s: %s%s [%s]", d.Path, sev, d.Message, d.Rule)
}

// ValidationError is the error [Config.Validate] returns: every problem
// found, in document order.
type ValidationError struct {
	// Diagnostics lists the problems, each with its YAML path.
	Diagnostics []Diagnostic
}

// Error lists the problems, one per line after the first.
func (e *ValidationError) Error() string {
	if len(e.Diagnostics) == 1 {
		return "cloudconfig: " + e.Diagnostics[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cloudconfig: %d problems:", len(e.Diagnostics))
	for _, d := range e.Diagnostics {
		b.WriteString("\n\t")
		b.WriteString(d.String())
	}
	return b.String()
}
