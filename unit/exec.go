package unit

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ExecOption changes how [Exec] writes a command line. The options are
// [IgnoreFailure], [Privileged], [Argv0] and [ExpandVariables].
type ExecOption interface {
	apply(*execConfig)
}

type execConfig struct {
	ignoreFailure bool
	privileged    bool
	argv0         *string
	expand        bool
}

type execOptionFunc func(*execConfig)

func (f execOptionFunc) apply(c *execConfig) { f(c) }

// IgnoreFailure adds the "-" prefix: systemd records a failing exit status
// of the command as success. On an ExecStop= line this hides a failed
// deregistration; [Lint] warns about it.
func IgnoreFailure() ExecOption {
	return execOptionFunc(func(c *execConfig) { c.ignoreFailure = true })
}

// Privileged adds the "+" prefix: the command runs with full privileges,
// ignoring User=, Group= and the sandboxing options.
func Privileged() ExecOption {
	return execOptionFunc(func(c *execConfig) { c.privileged = true })
}

// Argv0 adds the "@" prefix and passes name as argv[0] of the program
// instead of its path.
func Argv0(name string) ExecOption {
	return execOptionFunc(func(c *execConfig) { c.argv0 = &name })
}

// ExpandVariables leaves '$' alone so that systemd substitutes environment
// variables: "$VAR" as a whole word splits at whitespace into several
// arguments, "${VAR}" stays one argument. Without this option every '$' is
// written "$$", a literal dollar sign.
func ExpandVariables() ExecOption {
	return execOptionFunc(func(c *execConfig) { c.expand = true })
}

// Exec writes argv as the value of an Exec*= option (ExecStart=,
// ExecStop=, ...) so that systemd runs exactly argv[0] with the arguments
// argv[1:], without a shell.
//
// argv[0] must be an absolute, normalized path without '$', and without
// the bytes systemd refuses there (quotes, backslash, control characters,
// DEL: an *[ExecPathError], see [CheckExecPath]). Every '%' is
// doubled (systemd would expand it as a specifier), every '$' too unless
// [ExpandVariables] is given. A word that is empty, holds a space or a
// quote, ends in a backslash or is a lone ";" is put in double quotes;
// backslashes and quotes are escaped, and control characters are written
// as C escapes (\n, \t, \xHH), so a value never spans lines. NUL and
// invalid UTF-8 are errors.
//
// Shell syntax is not interpreted: Exec([]string{"/bin/echo", "a", ">", "f"})
// passes ">" as an argument. To use a shell, pass it explicitly:
// []string{"/bin/sh", "-c", "script"}.
func Exec(argv []string, opts ...ExecOption) (string, error) {
	var c execConfig
	for _, o := range opts {
		o.apply(&c)
	}
	if len(argv) == 0 {
		return "", errors.New("unit: exec: empty command; give at least the program path")
	}
	prog := argv[0]
	if err := checkProgram(prog); err != nil {
		return "", fmt.Errorf("unit: exec: %w", err)
	}
	var prefix string
	if c.ignoreFailure {
		prefix += "-"
	}
	if c.argv0 != nil {
		prefix += "@"
	}
	if c.privileged {
		prefix += "+"
	}
	var b strings.Builder
	first, err := quoteWord(prefix+prog, c.expand)
	if err != nil {
		return "", fmt.Errorf("unit: exec: program: %w", err)
	}
	b.WriteString(first)
	words := argv[1:]
	if c.argv0 != nil {
		words = append([]string{*c.argv0}, words...)
	}
	for i, w := range words {
		q, err := quoteWord(w, c.expand)
		if err != nil {
			return "", fmt.Errorf("unit: exec: argument %d: %w", i+1, err)
		}
		b.WriteByte(' ')
		b.WriteString(q)
	}
	return b.String(), nil
}

func checkProgram(p string) error {
	switch {
	case p == "":
		return errors.New("empty program path; give an absolute path such as /usr/bin/curl")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("program %q is not an absolute path; systemd looks relative names up in a fixed PATH, write the full path instead", p)
	case path.Clean(p) != p || p == "/":
		return fmt.Errorf("program path %q is not normalized; write it as %q", p, path.Clean(p))
	case strings.Contains(p, "$"):
		return fmt.Errorf("program path %q contains '$'; systemd does not expand variables in the program path", p)
	}
	if err := CheckExecPath(p); err != nil {
		return err
	}
	return nil
}

// ExecPathError is a program path that systemd refuses in an Exec*= line
// ("Executable name contains special characters ... unit will not be
// started"): the whole unit fails to load, so a stop hook's ExecStop=
// never runs.
type ExecPathError struct {
	// Path is the program path.
	Path string
	// Offset is where the first refused byte is in Path, and Byte that
	// byte.
	Offset int
	Byte   byte
}

func (e *ExecPathError) Error() string {
	return fmt.Sprintf("program path %s contains %s at byte %d, which systemd refuses in the program of an Exec*= line (the unit fails to load); move or link the program to a path without quotes, backslashes or control characters", strconv.QuoteToASCII(e.Path), describeByte(e.Byte), e.Offset)
}

func describeByte(c byte) string {
	switch c {
	case '\\':
		return "a backslash"
	case '\'':
		return "a single quote"
	case '"':
		return "a double quote"
	case 0x7f:
		return "DEL (0x7f)"
	}
	return fmt.Sprintf("the control character 0x%02x", c)
}

// execPathRefused reports whether systemd 252 refuses byte c in the
// program path of an Exec*= line: its string_is_safe() rejects the C0
// control characters 0x01-0x1f, the quotes ' and ", the backslash and DEL.
// Bytes 0x80-0xff (UTF-8) pass. TestExecPathBytesSystemd checks every
// byte against the real systemd.
func execPathRefused(c byte) bool {
	return c > 0 && c < 0x20 || c == '\'' || c == '"' || c == '\\' || c == 0x7f
}

// CheckExecPath returns an *[ExecPathError] when systemd would refuse p as
// the program of an Exec*= line because of the bytes it contains, and nil
// otherwise. It checks nothing else ([Exec] also wants p absolute and
// normalized).
func CheckExecPath(p string) error {
	for i := 0; i < len(p); i++ {
		if execPathRefused(p[i]) {
			return &ExecPathError{Path: p, Offset: i, Byte: p[i]}
		}
	}
	return nil
}

// quoteWord writes one word of an Exec line.
func quoteWord(w string, expand bool) (string, error) {
	if plainWord(w, expand) {
		return w, nil // the loop below would copy it unchanged
	}
	if !utf8.ValidString(w) {
		return "", fmt.Errorf("%q is not valid UTF-8", w)
	}
	// A word ending in a backslash is quoted too, so that the value never
	// ends in one: parsers less careful than systemd's (go-systemd's, for
	// one) take any trailing backslash for a continuation.
	needQuote := w == "" || w == ";" || strings.ContainsAny(w, " \"'") || strings.HasSuffix(w, `\`)
	var b strings.Builder
	if needQuote {
		b.WriteByte('"')
	}
	for _, r := range w {
		switch {
		case r == 0:
			return "", fmt.Errorf("%q contains a NUL byte, which no argument can hold", w)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '%':
			b.WriteString("%%")
		case r == '$' && !expand:
			b.WriteString("$$")
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	if needQuote {
		b.WriteByte('"')
	}
	return b.String(), nil
}

// Command is an Exec*= value split into its parts by [ParseExec].
type Command struct {
	// IgnoreFailure, HasArgv0 and Privileged report the "-", "@" and "+"
	// prefixes. Other prefixes ("!", "!!", ":") are only kept in Prefix.
	IgnoreFailure, HasArgv0, Privileged bool
	// Prefix holds every prefix character as written.
	Prefix string
	// Path is the program to run.
	Path string
	// Args are the words after the path, unquoted and unescaped, with "%%"
	// and "$$" turned into '%' and '$'; other specifiers and variable
	// references are left as written. With the "@" prefix Args[0] is
	// argv[0].
	Args []string
}

// ParseExec splits the value of an Exec*= option the way systemd does
// (systemd.service "Command lines"): prefixes, then words separated by
// whitespace, double- or single-quoted words, C escapes. A lone ";" that
// separates several commands is an error, as is an unterminated quote.
// ParseExec(Exec(argv)) gives back argv.
func ParseExec(v string) (*Command, error) {
	words, err := splitWords(v)
	if err != nil {
		return nil, fmt.Errorf("unit: exec %q: %w", v, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("unit: exec %q: empty command", v)
	}
	c := &Command{}
	first := words[0]
	i := 0
	for i < len(first.text) && strings.IndexByte("-@+!:", first.text[i]) >= 0 {
		switch first.text[i] {
		case '-':
			c.IgnoreFailure = true
		case '@':
			c.HasArgv0 = true
		case '+':
			c.Privileged = true
		}
		i++
	}
	c.Prefix = first.text[:i]
	c.Path = first.text[i:]
	if c.Path == "" {
		return nil, fmt.Errorf("unit: exec %q: no program after the prefixes", v)
	}
	for _, w := range words[1:] {
		if w.raw == ";" {
			return nil, fmt.Errorf("unit: exec %q: a lone ';' separates several commands on one line; write one command per Exec line", v)
		}
		c.Args = append(c.Args, w.text)
	}
	if c.HasArgv0 && len(c.Args) == 0 {
		return nil, fmt.Errorf("unit: exec %q: '@' prefix without an argv[0] word", v)
	}
	return c, nil
}

type word struct {
	raw  string // as written
	text string // unquoted, unescaped
}

// splitWords implements systemd's extract_first_word with
// EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE, followed by the "%%" and "$$"
// reductions.
func splitWords(s string) ([]word, error) {
	var words []word
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return words, nil
		}
		start := i
		// A word with no escape, quote, '%' or '$' is its own text: no
		// copy.
		for i < len(s) && !wordSpecial[s[i]] {
			i++
		}
		if i == len(s) || s[i] == ' ' || s[i] == '\t' {
			words = append(words, word{raw: s[start:i], text: s[start:i]})
			continue
		}
		i = start
		var b strings.Builder
		var quote byte
		for i < len(s) {
			c := s[i]
			if quote == 0 && (c == ' ' || c == '\t') {
				break
			}
			switch {
			case c == '\\':
				n, adv, err := cunescape(s[i:])
				if err != nil {
					return nil, err
				}
				b.WriteString(n)
				i += adv
				continue
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			case c == '%' && i+1 < len(s) && s[i+1] == '%':
				b.WriteByte('%')
				i++
			case c == '$' && i+1 < len(s) && s[i+1] == '$':
				b.WriteByte('$')
				i++
			default:
				b.WriteByte(c)
			}
			i++
		}
		if quote != 0 {
			return nil, fmt.Errorf("unterminated %c quote", quote)
		}
		words = append(words, word{raw: s[start:i], text: b.String()})
	}
}

// wordSpecial are the bytes that end a word or that splitWords decodes.
var wordSpecial = func() (t [256]bool) {
	for _, c := range []byte(" \t\\\"'%$") {
		t[c] = true
	}
	return t
}()

// plainWord reports whether quoteWord would write w as it is: a word of
// printable ASCII with nothing to quote or escape ('$' only when it is
// to be expanded).
func plainWord(w string, expand bool) bool {
	if w == "" || w == ";" || w[len(w)-1] == '\\' {
		return false
	}
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c <= ' ' || c >= 0x7f, c == '"', c == '\'', c == '\\', c == '%':
			return false
		case c == '$' && !expand:
			return false
		}
	}
	return true
}

// cunescape decodes one backslash escape at the start of s.
func cunescape(s string) (string, int, error) {
	if len(s) < 2 {
		return "", 0, errors.New("trailing backslash")
	}
	switch c := s[1]; c {
	case 'a':
		return "\a", 2, nil
	case 'b':
		return "\b", 2, nil
	case 'f':
		return "\f", 2, nil
	case 'n':
		return "\n", 2, nil
	case 'r':
		return "\r", 2, nil
	case 't':
		return "\t", 2, nil
	case 'v':
		return "\v", 2, nil
	case 's':
		return " ", 2, nil
	case '\\', '"', '\'', ';':
		return string(c), 2, nil
	case 'x':
		if len(s) < 4 || unhex(s[2]) < 0 || unhex(s[3]) < 0 {
			return "", 0, fmt.Errorf("bad escape %q", s[:min(len(s), 4)])
		}
		v := unhex(s[2])<<4 | unhex(s[3])
		if v == 0 {
			return "", 0, errors.New(`\x00 is not allowed`)
		}
		return string([]byte{byte(v)}), 4, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		if len(s) < 4 {
			return "", 0, fmt.Errorf("bad octal escape %q", s)
		}
		v := 0
		for _, d := range []byte(s[1:4]) {
			if d < '0' || d > '7' {
				return "", 0, fmt.Errorf("bad octal escape %q", s[:4])
			}
			v = v*8 + int(d-'0')
		}
		if v == 0 || v > 0xff {
			return "", 0, fmt.Errorf("bad octal escape %q", s[:4])
		}
		return string([]byte{byte(v)}), 4, nil
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if len(s) < 2+n {
			return "", 0, fmt.Errorf("bad unicode escape %q", s)
		}
		v := 0
		for _, d := range []byte(s[2 : 2+n]) {
			h := unhex(d)
			if h < 0 {
				return "", 0, fmt.Errorf("bad unicode escape %q", s[:2+n])
			}
			v = v<<4 | h
		}
		if v == 0 || !utf8.ValidRune(rune(v)) {
			return "", 0, fmt.Errorf("bad unicode escape %q", s[:2+n])
		}
		return string(rune(v)), 2 + n, nil
	default:
		return "", 0, fmt.Errorf("unknown escape \\%c", c)
	}
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
