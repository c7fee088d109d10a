package cloudconfig

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unsafe"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/budget"
)

// Lint reports likely mistakes in c that Validate does not treat as
// invalid: errors where a stop hook would silently never run, warnings
// otherwise. Each finding has its YAML path and, when c came from [Parse],
// the line and column of that path in the parsed document, and a rule id:
//
//   - systemctl-enable-now: `systemctl enable UNIT` without --now. The
//     unit is not started, so a stop hook's ExecStop does not run at the
//     first shutdown. An error when write_files writes UNIT with an
//     ExecStop= line and nothing starts it, a warning otherwise.
//   - systemctl-no-block: a blocking `systemctl start/restart UNIT` or
//     `enable --now UNIT` in runcmd, which runs inside cloud-final.service:
//     it hangs for ever if UNIT is ordered after cloud-final.service or a
//     target that follows it. An error when write_files writes UNIT with
//     such an After=, a warning otherwise. Add --no-block.
//   - systemctl-daemon-reload: runcmd starts or enables a unit that
//     write_files writes, without `systemctl daemon-reload` before it.
//   - secret: text that looks like a credential (AWS access key id or
//     secret key, private key block, GitHub token) anywhere in the config.
//     User data is readable by every process on the instance through the
//     metadata service and cloud-init's cache. Gzip write_files content
//     is searched only while the entries inflate to 4 MiB together;
//     Validate reports those past that.
//   - owner-before-users: a write_files owner other than root without
//     defer: true; write_files runs before users are created.
//   - path-volatile: a write_files path under /run, which does not survive
//     a reboot, or /var/tmp, whose files systemd 257 (Debian 13) deletes
//     after 30 days, while write_files runs once per instance.
//
// Both command forms are understood: argv lists word by word, shell
// strings split into simple commands on ; && || | & and newlines, after
// leading VAR=value words, sudo, exec, command and nohup.
//
// Gzip content is inflated within the budget of [WithBudget] (by default,
// one of the call's own), content that Validate decoded under the same
// budget is not decoded again, and each distinct string is searched for
// secrets once: the alias copies of an anchor are not searched again, and
// a secret in an anchor is reported once, where the anchor is.
func Lint(c *Config, opts ...Option) diag.List {
	o := collect(opts)
	// About as many strings are searched for secrets as the contents
	// and the command words: the map is made at that size, not grown.
	strs := len(c.WriteFiles)
	for _, cmds := range [][]Command{c.Runcmd, c.Bootcmd} {
		for _, cmd := range cmds {
			strs += max(len(cmd.Args), 1)
		}
	}
	l := &linter{units: map[string]string{}, contents: make([]*string, len(c.WriteFiles)), scanned: make(map[stringID]bool, strs), budget: o.budget}
	gunzip := maxGunzip
	for i, f := range c.WriteFiles {
		data, err := f.decode(&gunzip, o.budget)
		if err != nil {
			continue // Validate reports it
		}
		s := sharedString(data)
		l.contents[i] = &s
		if isUnitDir(path.Dir(f.Path)) {
			l.units[path.Base(f.Path)] = s
		}
	}
	for _, key := range typedKeys {
		if n := c.Lookup(key); n != nil {
			// Kept verbatim because something in it does not fit
			// (Validate says what): lint the commands that do.
			if key == "runcmd" || key == "bootcmd" {
				l.commands(key, commandsOf(n), key == "runcmd", false)
			}
			l.secretsIn(key, n)
			continue
		}
		switch key {
		case "write_files":
			l.writeFiles(c.WriteFiles)
		case "bootcmd":
			l.commands(key, c.Bootcmd, false, true)
		case "runcmd":
			l.commands(key, c.Runcmd, true, true)
		case "final_message":
			l.secrets(at(key), c.FinalMessage)
		}
	}
	for _, f := range c.Extra {
		if !isTypedKey(f.Key) && f.Value != nil {
			l.secretsIn(f.Key, f.Value)
		}
	}
	c.locate(l.diags)
	return l.diags
}

type linter struct {
	diags    diag.List
	units    map[string]string // unit file name -> content, from write_files
	contents []*string         // decoded content of each write_files entry, nil if it does not decode
	scanned  map[stringID]bool // strings already searched for secrets
	budget   *budget.Budget    // of the document, which remembers what was found in its strings
}

// stringID identifies a string by its bytes in memory: the alias copies
// Parse makes of a scalar share the anchor's bytes, and so do the decoded
// contents of write_files entries that share one content.
type stringID struct {
	p *byte
	n int
}

// sharedString returns b as a string without a copy; b must not change
// afterwards (decode's results never do).
func sharedString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (l *linter) add(p string, sev diag.Severity, rule, format string, args ...any) {
	l.diags = append(l.diags, diag.Diagnostic{Path: p, Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func isUnitDir(dir string) bool {
	switch dir {
	case "/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system":
		return true
	}
	return false
}

func (l *linter) writeFiles(files []WriteFile) {
	for i, f := range files {
		p := index("write_files", i)
		switch {
		case strings.HasPrefix(f.Path, "/run/"):
			l.add(p+".path", diag.Warning, "path-volatile", "%s does not survive a reboot, but write_files runs only once per instance; use a path under /etc or /var/lib", f.Path)
		case strings.HasPrefix(f.Path, "/var/tmp/"):
			// Debian 12's tmpfiles never clean /var/tmp; Debian 13's
			// (systemd 257) age it: "q /var/tmp 1777 root root 30d"
			// (docs/versions.md).
			l.add(p+".path", diag.Warning, "path-volatile", "%s may be deleted once it is 30 days old (systemd-tmpfiles ages /var/tmp), but write_files runs only once per instance; use a path under /etc or /var/lib", f.Path)
			l.diags[len(l.diags)-1].Versions = "systemd 257 (Debian 13); Debian 12's systemd 252 keeps /var/tmp"
		}
		if user, _, _ := strings.Cut(f.Owner, ":"); user != "" && user != "root" && !f.Defer {
			l.add(p+".owner", diag.Warning, "owner-before-users", "write_files runs before cloud-init creates users, so owner %s may not exist yet; add defer: true", f.Owner)
		}
		if content := l.contents[i]; content != nil {
			l.secrets(lazyPath{p: p, j: -1, sfx: ".content"}, *content)
		}
	}
}

// A simple command found in a runcmd or bootcmd entry.
type simpleCmd struct {
	path  string // YAML path of the entry
	words []string
}

func (l *linter) commands(key string, cmds []Command, runcmd, secrets bool) {
	var all []simpleCmd
	for i, c := range cmds {
		p := index(key, i)
		if c.IsShell() {
			if secrets {
				l.secrets(at(p), c.Script)
			}
			for _, words := range splitShell(c.Script) {
				all = append(all, simpleCmd{p, words})
			}
		} else {
			for j, a := range c.Args {
				if secrets {
					l.secrets(lazyPath{p: p, j: j}, a)
				}
			}
			all = append(all, simpleCmd{p, c.Args})
		}
	}
	// Units some command starts (start, restart, enable --now).
	started := map[string]bool{}
	var parsed []*systemctlCmd
	for _, sc := range all {
		s := parseSystemctl(stripPrefix(sc.words))
		parsed = append(parsed, s)
		if s != nil && s.starts() {
			for _, u := range s.units {
				started[u] = true
			}
		}
	}
	reloaded := false
	for i, s := range parsed {
		if s == nil {
			continue
		}
		p := all[i].path
		if s.verb == "daemon-reload" {
			reloaded = true
			continue
		}
		if s.verb == "enable" || s.verb == "reenable" || s.starts() {
			for _, u := range s.units {
				if _, written := l.units[u]; written && !reloaded && runcmd {
					l.add(p, diag.Warning, "systemctl-daemon-reload", "%s is written by write_files but systemd has not reloaded its unit files; run [systemctl, daemon-reload] before this", u)
					reloaded = true // once is enough
				}
			}
		}
		if (s.verb == "enable" || s.verb == "reenable") && !s.now {
			for _, u := range s.units {
				if started[u] {
					continue
				}
				if hasExecStop(l.units[u]) {
					l.add(p, diag.Error, "systemctl-enable-now", "enables the stop hook %s without starting it: ExecStop runs only for a started unit, so the first shutdown after launch deregisters nothing; use systemctl enable --now --no-block %s", u, u)
				} else {
					l.add(p, diag.Warning, "systemctl-enable-now", "enables %s without starting it; it starts only at the next boot: add --now (and --no-block in runcmd)", u)
				}
			}
		}
		if runcmd && s.starts() && !s.noBlock {
			for _, u := range s.units {
				if t := deadlockAfter(l.units[u]); t != "" {
					l.add(p, diag.Error, "systemctl-no-block", "%s waits for %s to start, but %s is ordered After=%s and runcmd runs inside cloud-final.service: boot hangs for ever; add --no-block", strings.Join(s.words, " "), u, u, t)
				} else {
					l.add(p, diag.Warning, "systemctl-no-block", "%s blocks runcmd (inside cloud-final.service) until %s has started, and hangs for ever if %s is ordered after cloud-final.service or multi-user.target; add --no-block", strings.Join(s.words, " "), u, u)
				}
			}
		}
	}
}

// commandsOf reads the commands of a runcmd or bootcmd list that did not
// fit the model, as cloud-init would run them: strings as shell, lists as
// argv (numbers included, as cloud-init's str() makes them words), other
// entries as empty placeholders so that indexes stay right.
func commandsOf(n *yaml.Node) []Command {
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	cmds := make([]Command, len(n.Content))
	for i, e := range n.Content {
		switch e.Kind {
		case yaml.ScalarNode:
			if effectiveTag(e) == tagStr {
				cmds[i] = Shell(e.Value)
			}
		case yaml.SequenceNode:
			args := []string{}
			for _, w := range e.Content {
				if w.Kind == yaml.ScalarNode {
					args = append(args, w.Value)
				}
			}
			cmds[i] = Command{Args: args}
		}
	}
	return cmds
}

// stripPrefix drops what runs a command without being it: VAR=value words,
// sudo (and its options), exec, command, nohup, env.
func stripPrefix(words []string) []string {
	for len(words) > 0 {
		w := words[0]
		switch {
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "/"):
			words = words[1:]
		case w == "sudo" || w == "env":
			words = words[1:]
			for len(words) > 0 && strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
		case w == "exec" || w == "command" || w == "nohup":
			words = words[1:]
		default:
			return words
		}
	}
	return words
}

type systemctlCmd struct {
	words   []string
	verb    string
	units   []string
	now     bool
	noBlock bool
}

func (s *systemctlCmd) starts() bool {
	switch s.verb {
	case "start", "restart", "try-restart", "reload-or-restart", "try-reload-or-restart", "isolate":
		return true
	case "enable", "reenable":
		return s.now
	}
	return false
}

// systemctl options that take a value as the next word.
var systemctlValueOpts = map[string]bool{
	"-t": true, "--type": true, "-p": true, "--property": true, "-s": true, "--signal": true,
	"-n": true, "--lines": true, "-o": true, "--output": true, "--job-mode": true, "--kill-whom": true,
	"--what": true, "--root": true, "-H": true, "--host": true, "-M": true, "--machine": true,
	"--state": true, "--timestamp": true, "--boot-loader-entry": true, "--reboot-argument": true, "--message": true,
}

// parseSystemctl returns the systemctl command in words, or nil when it is
// not one, or talks to another manager (--user, --host, --machine, --root).
func parseSystemctl(words []string) *systemctlCmd {
	if len(words) == 0 || path.Base(words[0]) != "systemctl" {
		return nil
	}
	s := &systemctlCmd{words: words}
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--now":
			s.now = true
		case w == "--no-block":
			s.noBlock = true
		case w == "--user" || w == "--global" || w == "-H" || w == "--host" || w == "-M" || w == "--machine" || w == "--root" ||
			strings.HasPrefix(w, "--host=") || strings.HasPrefix(w, "--machine=") || strings.HasPrefix(w, "--root="):
			return nil
		case systemctlValueOpts[w]:
			i++
		case strings.HasPrefix(w, "-"):
		case s.verb == "":
			s.verb = w
		default:
			s.units = append(s.units, unitName(w))
		}
	}
	return s
}

// unitName adds ".service" to a name without a unit suffix, as systemctl
// does.
func unitName(s string) string {
	switch path.Ext(s) {
	case ".service", ".socket", ".target", ".timer", ".mount", ".automount", ".path", ".slice", ".scope", ".swap", ".device":
		return s
	}
	return s + ".service"
}

// unitDirectives returns the values of KEY= lines in a unit file's section.
func unitDirectives(unit, section, key string) []string {
	var vals []string
	in := false
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = line == "["+section+"]"
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && in && strings.TrimSpace(k) == key {
			vals = append(vals, strings.TrimSpace(v))
		}
	}
	return vals
}

func hasExecStop(unit string) bool {
	for _, v := range unitDirectives(unit, "Service", "ExecStop") {
		if v != "" {
			return true
		}
	}
	return false
}

// deadlockAfter returns the unit in an After= of unit that a blocking start
// from runcmd waits for in vain, or "".
func deadlockAfter(unit string) string {
	for _, v := range unitDirectives(unit, "Unit", "After") {
		for _, u := range strings.Fields(v) {
			switch u {
			case "cloud-final.service", "cloud-init.target", "multi-user.target", "default.target", "graphical.target":
				return u
			}
		}
	}
	return ""
}

// splitShell splits a shell string into the words of its simple commands,
// well enough for lint: quotes and backslashes are honoured, ; & | and
// newlines separate commands, # starts a comment, and $(...) or `...` are
// left inside their word.
func splitShell(s string) [][]string {
	var cmds [][]string
	var words []string
	var w strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, w.String())
			w.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s):
			i++
			if s[i] != '\n' {
				w.WriteByte(s[i])
				inWord = true
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			inWord = true
		case ch == '#' && !inWord:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			endCmd()
		case ch == ';' || ch == '&' || ch == '|' || ch == '\n' || ch == '(' || ch == ')' || ch == '{' && !inWord || ch == '}' && !inWord:
			endCmd()
		case ch == ' ' || ch == '\t' || ch == '\r':
			endWord()
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// Patterns of credentials that must not travel in user data. need is a
// fast test that s may hold a match, so that the regular expression (a
// few tens of MB/s) runs only on text that might: lint searches every
// distinct string of a document, up to megabytes of decoded write_files
// content.
var secretPatterns = []struct {
	re   *regexp.Regexp
	what string
	need func(s string) bool
}{
	{regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`), "an AWS access key id", func(s string) bool {
		return strings.Contains(s, "AKIA") || strings.Contains(s, "ASIA") || strings.Contains(s, "ABIA") || strings.Contains(s, "ACCA")
	}},
	{regexp.MustCompile(`(?i)aws_secret_access_key\s*[=:]\s*["']?[A-Za-z0-9/+]{40}\b`), "an AWS secret access key", func(s string) bool {
		return underscoreAt(s, func(i int) bool { return i+11 <= len(s) && strings.EqualFold(s[i:i+11], "_access_key") })
	}},
	{regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----`), "a private key", func(s string) bool {
		return strings.Contains(s, "PRIVATE KEY-----")
	}},
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,}\b`), "a GitHub token", func(s string) bool {
		return underscoreAt(s, func(i int) bool { return i >= 3 && s[i-3] == 'g' && s[i-2] == 'h' })
	}},
}

// underscoreAt reports whether ok holds at the index of some '_' in s.
func underscoreAt(s string, ok func(i int) bool) bool {
	for off := 0; ; {
		j := strings.IndexByte(s[off:], '_')
		if j < 0 {
			return false
		}
		if ok(off + j) {
			return true
		}
		off += j + 1
	}
}

func (l *linter) secrets(p lazyPath, s string) {
	if s == "" {
		return
	}
	id := stringID{unsafe.StringData(s), len(s)}
	if l.scanned[id] {
		return // an alias copy of a string already searched
	}
	l.scanned[id] = true
	// Content that several parts share (the decoded gzip content of one
	// write_files text) is searched once per document.
	found, err := budget.Memo(l.budget, id, func() ([]string, error) {
		if err := l.budget.Charge(budget.Scan, len(s)); err != nil {
			// Not reachable by user data within the input limits:
			// each distinct string is searched once.
			return nil, err
		}
		var found []string
		for _, sp := range secretPatterns {
			if sp.need(s) && sp.re.MatchString(s) {
				found = append(found, sp.what)
			}
		}
		return found, nil
	})
	if err != nil {
		l.add(p.String(), diag.Warning, "secret", "not searched for secrets: %v", err)
	}
	for _, what := range found {
		l.add(p.String(), diag.Warning, "secret", "looks like %s; user data is readable by every process on the instance (metadata service, /var/lib/cloud): fetch secrets at boot from a secret store instead", what)
	}
}

// lazyPath is the path p[j]sfx (without [j] when j < 0), made into text
// only for a finding.
type lazyPath struct {
	p   string
	j   int
	sfx string
}

func at(p string) lazyPath { return lazyPath{p: p, j: -1} }

func (lp lazyPath) String() string {
	if lp.j < 0 {
		return lp.p + lp.sfx
	}
	return index(lp.p, lp.j) + lp.sfx
}

// secretsIn looks for secrets in every string of a YAML value.
func (l *linter) secretsIn(p string, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		l.secrets(at(p), n.Value)
	case yaml.SequenceNode:
		for i, e := range n.Content {
			l.secretsIn(index(p, i), e)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			l.secretsIn(p+"."+n.Content[i].Value, n.Content[i+1])
		}
	case yaml.DocumentNode:
		for _, e := range n.Content {
			l.secretsIn(p, e)
		}
	}
}
