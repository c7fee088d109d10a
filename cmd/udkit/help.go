package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/diag"
)

// flagDoc documents one flag of a command, for help and for the shell
// completion scripts. TestHelpFlagsMatch checks that every documented
// flag exists and that every flag a command defines is documented.
type flagDoc struct {
	name   string   // without dashes: "o", "gzip"
	arg    string   // the value's placeholder, "" for a boolean flag
	values []string // the values it takes, when they are a fixed set
	file   bool     // the value is a file name
	dir    bool     // the value is a directory
	doc    string
}

// helpDoc is the full help of one command.
type helpDoc struct {
	usage    string // after "udkit "
	long     string // what it does, in paragraphs
	flags    []flagDoc
	args     string // what positional arguments complete to: "file", "shell", "command" or ""
	examples string // commented command lines
	exit     string // what the exit status means for this command
}

// The exit-code contract, the same for every command.
const exitContract = `Exit status (the same for every udkit command):
  0  done, and nothing found: the input is valid, lint-clean or the same
  1  the input has findings or differs (lint, validate, diff, plan), or
     was refused (render with lint errors or over the size limit)
  2  could not do the job: a usage error, a missing or unreadable file,
     input that cannot be decoded at all, an I/O error (an unwritable -o),
     a tool that was asked for but is missing
Warnings and infos alone exit 0 (lint --strict counts warnings).
Errors go to standard error, each naming the file it is about; output
meant for scripts (--json, --format github) goes to standard output.
`

// Formats of lint and validate findings, shared by their help.
const findingsFormatDoc = `--format json (or --json) prints one JSON object, schema 1:
  {"schema":1,
   "files":[{"file":S,"kind":S,"checked":[S],"error":S,
             "errors":N,"warnings":N,"infos":N,
             "findings":[{"part":N,"part_label":S,"path":S,"line":N,
                          "column":N,"unit":S,"unit_line":N,
                          "severity":"error|warning|info","rule":S,
                          "message":S,"versions":S}]}],
   "errors":N,"warnings":N,"infos":N}
A finding is udkit's diag.Diagnostic as the library marshals it: fields
that are empty or zero are left out, except severity, rule and message.
"kind" (lint) is "user data", "cloud-config" or "unit"; "checked"
(validate) names the checkers that ran; "error" is set, and findings
empty, for a file that could not be read or decoded. Fields are only
ever added to schema 1.

--format github prints GitHub Actions workflow commands, one per
finding, which a workflow step turns into annotations on the pull
request: ::error file=F,line=L,col=C,title=RULE::MESSAGE (::warning for
warnings, ::notice for infos); the message starts with the place in the
file (part, YAML path, unit line). Properties and message are escaped as
GitHub's workflow-command rules say (%, CR and LF; in properties also
: and ,). Give FILE relative to the repository's root, as the step sees
it, for GitHub to place the annotation on the file's line.`

var helpDocs = map[string]helpDoc{
	"render": {
		usage: "render [flags] SPEC|-",
		long: `Builds user data from a YAML spec file: a cloud-config part that writes
the stop hook (a systemd oneshot whose ExecStop= deregisters the
instance at shutdown) plus the spec's own parts, as one MIME document,
gzip'd and base64-encoded as the spec's output section or the flags say.
SPEC - reads the spec from standard input (then files it refers to
cannot be read). The document is linted first; user data with lint
errors is refused unless --accept-errors. Warnings go to standard error.
Nothing is written on failure, and -o never leaves a partial file.

--report prints the size report instead of the user data (with -o the
user data is still written to FILE): each part's size, and the document's
raw, gzip'd and base64 sizes against the limit. With --json it is one
JSON object, schema 1:
  {"schema":1,"file":S,"limit":N,"fits":B,
   "encoding":{"gzip":B,"base64":B},
   "sizes":{"raw":N,"gzip":N,"final":N,"base64":N,"output":N},
   "parts":[{"index":N,"content_type":S,"filename":S,"body":N,"encoded":N}]}
limit is -1 for no limit; final is the size that counts against it (the
gzip'd size when gzip'd, else raw); output is the number of bytes render
writes (base64 when --base64; 0 when it refuses). A document over the
limit gives the report with fits false, and exit 1; so does one refused
for lint errors (with fits as the sizes say).`,
		flags: []flagDoc{
			{name: "o", arg: "FILE", file: true, doc: "write the user data to FILE instead of standard output"},
			{name: "gzip", arg: "MODE", values: []string{"auto", "always", "never"}, doc: "gzip the document: auto (only when over the limit), always or never; default: the spec's output.gzip (auto)"},
			{name: "compression", arg: "MODE", values: []string{"best", "max"}, doc: "gzip encoder: best, or max (optimal parsing, a few percent smaller, much slower; with --gzip auto only when best does not fit); default: the spec's output.compression (best)"},
			{name: "base64", doc: "encode the result in base64, as launch templates take it"},
			{name: "limit", arg: "N", doc: "largest document in bytes before base64; 0: the spec's output.limit, else 16384; -1: no limit"},
			{name: "accept-errors", doc: "render even when the lint rules find errors"},
			{name: "report", doc: "print the size report instead of the user data"},
			{name: "json", doc: "with --report, print the report as JSON"},
		},
		args: "file",
		examples: `# Render the example and write the user data to a file.
udkit render examples/managed-server/spec.yaml -o user-data

# The form EC2 launch templates take: gzip'd, then base64.
udkit render --gzip always --base64 spec.yaml -o user-data.b64

# How big is it, part by part, and does it fit in 16 KiB?
udkit render --report spec.yaml
udkit render --report --json spec.yaml | jq .sizes`,
		exit: "0 rendered; 1 the spec is invalid, or the user data has lint errors or is over the limit; 2 usage, unreadable spec, unwritable -o.",
	},
	"lint": {
		usage: "lint [flags] FILE...",
		long: `Lints systemd units, cloud-config documents or whole user data (MIME,
gzip'd or base64, as cloud-init reads it); the kind is told from the
first line. In user data every cloud-config part is validated and
linted, and every service a write_files entry writes with an ExecStop=
line is linted as a stop hook. A service unit given alone is linted as a
stop hook when it is one (Type=oneshot or an ExecStop= line); a daemon
gets only the rules for every service. FILE - reads standard input.

The text output is one line per finding:
  FILE:LINE: SEVERITY: [RULE] PLACE: MESSAGE
PLACE is the part, YAML path and unit line; LINE is left out when it
cannot be told (gzip'd or base64 user data).

` + findingsFormatDoc,
		flags: []flagDoc{
			{name: "strict", doc: "count warnings as errors (exit 1)"},
			{name: "ignore", arg: "RULE", values: ruleIDs(), doc: "leave out the findings of RULE (repeatable); an unknown RULE is a usage error"},
			{name: "format", arg: "FORMAT", values: []string{"text", "json", "github"}, doc: "output format: text, json or github (annotations)"},
			{name: "json", doc: "same as --format json"},
		},
		args: "file",
		examples: `# A stop-hook unit, a cloud-config and rendered user data.
udkit lint hook.service cloud.yaml user-data

# Fail a CI step on warnings too, and annotate the pull request.
udkit lint --strict --format github user-data

# Findings as JSON, for a script.
udkit lint --json user-data | jq '.files[].findings[] | select(.severity == "error")'`,
		exit: "0 no errors (warnings and infos only); 1 errors, or warnings with --strict; 2 usage, unknown --ignore rule, unreadable or undecodable file.",
	},
	"validate": {
		usage: "validate [flags] FILE",
		long: `Validates a cloud-config document, or every cloud-config part of user
data, with udkit's rules and, when installed, with cloud-init's own
schema (` + "`cloud-init schema`" + `, which needs python3-jsonschema to check
anything; a cloud-init that accepts a known-bad document is refused).
FILE - reads standard input. Each document ends with a line saying
whether it is valid and what checked it.

In JSON and github output, a line of ` + "`cloud-init schema`" + `'s complaint is
a finding of rule "cloud-init-schema".

` + findingsFormatDoc,
		flags: []flagDoc{
			{name: "cloud-init", arg: "MODE", values: []string{"auto", "always", "never"}, doc: "run `cloud-init schema` too: auto (when installed), always (exit 2 without it) or never"},
			{name: "format", arg: "FORMAT", values: []string{"text", "json", "github"}, doc: "output format: text, json or github (annotations)"},
			{name: "json", doc: "same as --format json"},
		},
		args: "file",
		examples: `# A cloud-config, with cloud-init's schema when it is installed.
udkit validate cloud.yaml

# The cloud-config parts of rendered user data, cloud-init required.
udkit validate --cloud-init always user-data

# Annotate a pull request from a GitHub Actions step.
udkit validate --format github cloud.yaml`,
		exit: "0 valid; 1 invalid, or no cloud-config part; 2 usage, unreadable or undecodable file, --cloud-init always without cloud-init.",
	},
	"diff": {
		usage: "diff [--json] A B",
		long: `Compares two user data documents as cloud-init sees them, with the
library's package github.com/udkit/udkit/semdiff. Parts are paired by
filename (when unique in each document), then by content type and
position, then by content similarity, so the same content composed by
another tool compares equal. Cloud-config is compared by YAML path
(write_files entries by path, units inside them by section and key),
units by section and key, other parts line by line (Myers' diff: a
two-line change in a long script shows as two lines). Differences in
encoding only (gzip, base64, MIME boundary, header order, transfer
encoding, a filename present in one document only) are noted or
ignored but do not count. One of A and B may be -, standard input.

--json prints one JSON object, schema 1:
  {"schema":1,"equal":B,"a":S,"b":S,
   "notes":[S],
   "changes":[{"part":S,"a_part":N,"b_part":N,"op":"remove|add",
               "path":S,"text":S}]}
"part" is the hunk header of the text output (part number and label);
a_part and b_part are 1-based part numbers, 0 when the part is in the
other document only; "path" is a YAML path, "content type", "filename"
or "merge type", left out for a line of a plain part; "text" is the
value or line, unescaped. Fields are only ever added to schema 1.`,
		flags: []flagDoc{
			{name: "json", doc: "print the differences as one JSON object (schema 1)"},
		},
		args: "file",
		examples: `# Did the new build change what instances get?
udkit diff old/user-data new/user-data

# The same user data, launch-template encoded: "same".
udkit render spec.yaml -o a
udkit render --gzip always --base64 spec.yaml -o b
udkit diff a b

# In a script: the changed YAML paths.
udkit diff --json old new | jq -r '.changes[].path'`,
		exit: "0 the same parts; 1 they differ; 2 usage, unreadable or undecodable file.",
	},
	"inspect": {
		usage: "inspect [flags] [FILE|-]",
		flags: []flagDoc{
			{name: "json", doc: "print one JSON object"},
			{name: "extract", arg: "DIR", dir: true, doc: "write each part's decoded payload into DIR"},
			{name: "force", doc: "with --extract, write into a non-empty DIR"},
		},
		args: "file",
		examples: `# What is in this launch template's user data?
udkit inspect user-data.b64

# The parts as JSON, and their payloads in a directory to read.
udkit inspect --json --extract parts user-data`,
		exit: "0 decoded (and extracted); 2 usage, unreadable or undecodable input (an archive entry cloud-init's processor raises on included), extraction failed.",
	},
	// plan is another helper's command; its long text is its own -h.
	"plan": {
		usage: "plan [flags] [FILE|-]",
		flags: []flagDoc{
			{name: "json", doc: "print one JSON object"},
			{name: "cloud-cfg", arg: "FILE", file: true, doc: "the image's /etc/cloud/cloud.cfg FILE, or upstream-25.1; default: Debian 12's cloud-init 22.4"},
		},
		args: "file",
		examples: `# What will cloud-init do with this user data, boot by boot?
udkit plan user-data

# As an image with its own cloud.cfg would run it, as JSON.
udkit plan --cloud-cfg image/etc/cloud/cloud.cfg --json user-data`,
		exit: "0 no error finding; 1 error findings; 2 usage, unreadable or undecodable input.",
	},
	"members": {
		usage: "members [flags] [CLUSTER]",
		flags: []flagDoc{
			{name: "url", arg: "URL", doc: "registry URL (env " + envRegistryURL + ")"},
			{name: "token-file", arg: "FILE", file: true, doc: "FILE holding the admin token, e.g. udkitd's DATA/admin.token (env " + envRegistryTokenFile + ")"},
			{name: "ca", arg: "FILE", file: true, doc: "PEM FILE of the CA to trust for an https URL (env " + envRegistryCA + ")"},
			{name: "json", doc: "print the registry's JSON answer (with --watch: one JSON object per line)"},
			{name: "watch", doc: "list CLUSTER, then print each change as it happens until interrupted"},
			{name: "timeout", arg: "DURATION", doc: "overall request timeout (default 30s; --watch waits up to 3/4 of it per request)"},
			{name: "insecure-http", doc: "send the admin token over plain http:// to a host that is not loopback"},
		},
		examples: `# Every cluster and its member count.
udkit members --token-file /var/lib/udkitd/admin.token

# The members of one cluster, as JSON.
UDKIT_REGISTRY_URL=https://registry.example:8180 udkit members --json web

# Print joins and leaves of web as they happen (Ctrl-C stops).
udkit members --watch --token-file /var/lib/udkitd/admin.token web`,
		exit: "0 listed (--watch: interrupted); 1 the registry refused (unknown token or cluster); 2 usage, no or unreadable token, registry unreachable. --watch retries an unreachable registry (a line on standard error each time) rather than exit.",
	},
	"version": {
		usage: "version",
		long: `Prints udkit's module version, the VCS revision it was built from (with
"modified" when the tree had uncommitted changes), the commit time and
the Go version, as recorded in the binary's build information. A binary
built by ` + "`go install ...@vX.Y.Z`" + ` has a version but no revision; one built
from a git checkout has a revision and version "(devel)". Same as
udkit --version.`,
		examples: `udkit version
udkit --version`,
		exit: "0; 2 on extra arguments.",
	},
	"completion": {
		usage: "completion bash|zsh|fish",
		long: `Prints a shell completion script for udkit's commands, flags, flag
values (--gzip modes, --format, --ignore rule ids) and file arguments.`,
		args: "shell",
		examples: `# bash, this shell only:
source <(udkit completion bash)
# bash, for good:
udkit completion bash > ~/.local/share/bash-completion/completions/udkit

# zsh (a directory on $fpath; compinit must run after):
udkit completion zsh > "${fpath[1]}/_udkit"

# fish:
udkit completion fish > ~/.config/fish/completions/udkit.fish`,
		exit: "0; 2 on an unknown or missing shell.",
	},
	"help": {
		usage: "help [COMMAND]",
		long: `Prints the list of commands, or the full help of COMMAND (the same as
udkit COMMAND --help). "udkit help exit-codes" prints the exit-code
contract.`,
		args:     "command",
		examples: "udkit help render\nudkit help exit-codes",
		exit:     "0; 2 on an unknown command.",
	},
}

// ruleIDs lists the rule ids --ignore takes, for completion.
func ruleIDs() []string {
	var ids []string
	for _, r := range udkit.Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}

func init() {
	register("help", command{
		summary: "help about a command (udkit help COMMAND)",
		run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runHelp(args, stdout, stderr)
		},
	})
}

// runHelp is `udkit help [COMMAND]`.
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case wantsHelp(args):
		return helpCommand("help", stdout, stderr)
	case len(args) == 0:
		usage(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintln(stderr, "usage: udkit help [COMMAND]")
		return exitUsage
	case args[0] == "exit-codes" || args[0] == "exit-status":
		io.WriteString(stdout, exitContract)
		return exitOK
	}
	if _, ok := commands[args[0]]; !ok {
		fmt.Fprintf(stderr, "udkit help: unknown command %s\n", diag.Quote(args[0]))
		if s := suggest(args[0]); s != "" {
			fmt.Fprintf(stderr, "\nDid you mean this?\n\t%s\n\n", s)
		}
		fmt.Fprintln(stderr, `Run "udkit help" for the list of commands.`)
		return exitUsage
	}
	return helpCommand(args[0], stdout, stderr)
}

// helpCommand prints the full help of the command name to stdout. A
// command without a helpDoc prints its own (the flag package's) usage.
func helpCommand(name string, stdout, stderr io.Writer) int {
	c := commands[name]
	h, ok := helpDocs[name]
	if !ok {
		var b bytes.Buffer
		c.run([]string{"-h"}, strings.NewReader(""), &b, &b)
		stdout.Write(b.Bytes())
		return exitOK
	}
	io.WriteString(stdout, formatHelp(name, c, h))
	return exitOK
}

// longOf returns the long description of a command: its helpDoc's, or
// for a command that keeps the text in its own usage constant (inspect,
// plan), what it prints for -h, less its usage line and its exit-status
// paragraph (the helpDoc states the exit status).
func longOf(name string, h helpDoc) string {
	if h.long != "" {
		return h.long
	}
	var b bytes.Buffer
	commands[name].run([]string{"-h"}, strings.NewReader(""), &b, io.Discard)
	text := b.String()
	if !strings.HasPrefix(text, "usage: ") {
		return ""
	}
	_, text, _ = strings.Cut(text, "\n\n")
	if i := strings.Index(text, "\nExit status:"); i >= 0 {
		text = text[:i]
	}
	return strings.TrimSpace(text)
}

func formatHelp(name string, c command, h helpDoc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "udkit %s: %s\n\nUsage:\n  udkit %s\n", name, c.summary, h.usage)
	if long := longOf(name, h); long != "" {
		b.WriteString("\n")
		b.WriteString(long)
		b.WriteString("\n")
	}
	if len(h.flags) > 0 {
		b.WriteString("\nFlags:\n")
		width := 0
		cols := make([]string, len(h.flags))
		for i, f := range h.flags {
			col := "--" + f.name
			if len(f.name) == 1 {
				col = "-" + f.name
			}
			if f.arg != "" {
				col += " " + f.arg
			}
			cols[i] = col
			width = max(width, len(col))
		}
		for i, f := range h.flags {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, cols[i], wrap(f.doc, 76-width-4, strings.Repeat(" ", width+4)))
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, "-h, --help", "this help")
	}
	if h.examples != "" {
		b.WriteString("\nExamples:\n")
		for _, l := range strings.Split(h.examples, "\n") {
			if l == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("  " + l + "\n")
		}
	}
	if h.exit != "" {
		b.WriteString("\n" + wrap("Exit status: "+h.exit, 76, "") + "\n")
		b.WriteString(`(see "udkit help exit-codes")` + "\n")
	}
	return b.String()
}

// wrap breaks text into lines of at most width bytes at spaces, each line
// after the first starting with indent.
func wrap(text string, width int, indent string) string {
	if width < 20 {
		width = 20
	}
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteString("\n" + indent)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
