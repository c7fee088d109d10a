package userdata

// A port of the parts of Python's email package (feedparser with the
// compat32 policy, email.message.Message, email.utils) that cloud-init's
// user-data parser goes through. Go's mime/multipart disagrees with it on
// many malformed inputs; cloud-init is the judge, so this file follows
// CPython 3.11 line by line where it matters and the tests compare the
// result with cloud-init's own parser.

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

type header struct{ name, value string }

// message is email.message.Message as parsed: headers in order and either
// a string payload or a list of sub-messages.
type message struct {
	headers     []header
	payload     string
	parts       []*message
	multi       bool // payload is a list (is_multipart)
	defaultType string
	ct          string // cached contentType(), "" when not computed
}

func (m *message) get(name string) (string, bool) {
	for _, h := range m.headers {
		if nameIs(h.name, name) {
			return h.value, true
		}
	}
	return "", false
}

// nameIs is strings.EqualFold(h, name) for an ASCII name, without the
// fold when h is ASCII of another length (only non-ASCII letters such as
// U+212A KELVIN SIGN fold to ASCII from a different number of bytes).
func nameIs(h, name string) bool {
	if len(h) != len(name) && isASCII(h) {
		return false
	}
	return strings.EqualFold(h, name)
}

func (m *message) hasExact(name string) bool {
	for _, h := range m.headers {
		if h.name == name {
			return true
		}
	}
	return false
}

// replace is cloud-init's _replace_header: delete every occurrence, then
// append one.
func (m *message) replace(name, value string) {
	hs := m.headers[:0]
	for _, h := range m.headers {
		if !nameIs(h.name, name) {
			hs = append(hs, h)
		}
	}
	m.headers = append(hs, header{name, value})
	m.ct = ""
}

// contentType is Message.get_content_type.
func (m *message) contentType() string {
	if m.ct == "" {
		m.ct = m.computeContentType()
	}
	return m.ct
}

func (m *message) computeContentType() string {
	v, ok := m.get("content-type")
	if !ok {
		return m.defaultType
	}
	ct, _, _ := strings.Cut(v, ";")
	ct = pyLower(pyStrip(ct))
	if strings.Count(ct, "/") != 1 {
		return "text/plain"
	}
	return ct
}

func maintype(ct string) string {
	t, _, _ := strings.Cut(ct, "/")
	return t
}

// paramValue is a parameter value after email.utils.decode_params: a plain
// (quoted) string, or an RFC 2231 triple.
type paramValue struct {
	rfc2231           bool
	charset, language string
	hasCharset        bool
	text              string
}

type param struct {
	name  string
	value paramValue
}

// parseParam is email.message._parseparam followed by the split into
// name and value of Message._get_params_preserve: fn gets each parameter's
// lower-cased, stripped name and stripped value, in order, until it
// returns false.
func parseParam(s string, fn func(name, val string) bool) {
	first := true
	for first || strings.HasPrefix(s, ";") {
		if !first {
			s = s[1:]
		}
		first = false
		end := strings.IndexByte(s, ';')
		// Python recounts the quotes in s[:end] for every candidate end,
		// which is quadratic; the counts only grow, so keep them running.
		quotes, escaped, counted := 0, 0, 0
		for end > 0 {
			for ; counted < end; counted++ {
				if s[counted] == '"' {
					quotes++
					if counted > 0 && s[counted-1] == '\\' {
						escaped++
					}
				}
			}
			if (quotes-escaped)%2 == 0 {
				break
			}
			next := strings.IndexByte(s[end+1:], ';')
			if next < 0 {
				end = -1
			} else {
				end = end + 1 + next
			}
		}
		if end < 0 {
			end = len(s)
		}
		f := s[:end]
		var name, val string
		if i := strings.IndexByte(f, '='); i >= 0 {
			name, val = pyLower(pyStrip(f[:i])), pyStrip(f[i+1:])
		} else {
			name = pyStrip(f)
		}
		if !fn(name, val) {
			return
		}
		s = s[end:]
	}
}

// unquote is email.utils.unquote.
func unquote(s string) string {
	if len(s) > 4 || utf8.RuneCountInString(s) > 1 {
		if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
			s = s[1 : len(s)-1]
			return strings.ReplaceAll(strings.ReplaceAll(s, `\\`, `\`), `\"`, `"`)
		}
		if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
			return s[1 : len(s)-1]
		}
	}
	return s
}

// quote is email.utils.quote.
func quote(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`)
}

var errUnsupported = errors.New("unsupported")

// params is Message._get_params_preserve followed by decode_params.
func params(value string) ([]param, error) {
	type nv struct{ name, val string }
	var list []nv
	parseParam(value, func(name, val string) bool {
		list = append(list, nv{name, val})
		return true
	})
	out := []param{{name: list[0].name, value: paramValue{text: list[0].val}}}
	type cont struct {
		num     int
		hasNum  bool
		s       string
		encoded bool
	}
	var order []string
	conts := map[string][]cont{}
	for _, p := range list[1:] {
		encoded := strings.HasSuffix(p.name, "*")
		v := unquote(p.val)
		if name, num, hasNum, ok := rfc2231Name(p.name); ok {
			n := 0
			if hasNum {
				var err error
				n, err = strconv.Atoi(num)
				if err != nil || len(num) > 9 {
					return nil, fmt.Errorf("%w: parameter %q has a continuation number that is too large", errUnsupported, p.name)
				}
			}
			if _, seen := conts[name]; !seen {
				order = append(order, name)
			}
			conts[name] = append(conts[name], cont{n, hasNum, v, encoded})
		} else {
			out = append(out, param{name: p.name, value: paramValue{text: `"` + quote(v) + `"`}})
		}
	}
	for _, name := range order {
		cs := conts[name]
		// Python sorts (num, value, encoded) tuples; a None number next
		// to an int raises TypeError, which aborts cloud-init.
		for _, c := range cs[1:] {
			if c.hasNum != cs[0].hasNum {
				return nil, fmt.Errorf("%w: parameter %s mixes %s* and numbered continuations, which makes cloud-init's parser fail", errUnsupported, name, name)
			}
		}
		sort.SliceStable(cs, func(i, j int) bool {
			a, b := cs[i], cs[j]
			if a.num != b.num {
				return a.num < b.num
			}
			if a.s != b.s {
				return a.s < b.s
			}
			return !a.encoded && b.encoded
		})
		var b strings.Builder
		extended := false
		for _, c := range cs {
			s := c.s
			if c.encoded {
				s = percentDecodeLatin1(s)
				extended = true
			}
			b.WriteString(s)
		}
		v := quote(b.String())
		if extended {
			parts := strings.SplitN(v, "'", 3)
			if len(parts) <= 2 {
				out = append(out, param{name: name, value: paramValue{rfc2231: true, text: `"` + v + `"`}})
			} else {
				out = append(out, param{name: name, value: paramValue{rfc2231: true, hasCharset: true, charset: parts[0], language: parts[1], text: `"` + parts[2] + `"`}})
			}
		} else {
			out = append(out, param{name: name, value: paramValue{text: `"` + v + `"`}})
		}
	}
	return out, nil
}

// rfc2231Name matches ^(?P<name>\w+)\*((?P<num>[0-9]+)\*?)?$ (ASCII).
func rfc2231Name(s string) (name, num string, hasNum, ok bool) {
	i := 0
	for i < len(s) && isWordASCII(s[i]) {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '*' {
		return "", "", false, false
	}
	name, rest := s[:i], s[i+1:]
	// Python's $ also matches before a final newline; names are stripped,
	// so none is left here.
	if rest == "" {
		return name, "", false, true
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j == 0 {
		return "", "", false, false
	}
	if tail := rest[j:]; tail == "" || tail == "*" {
		return name, rest[:j], true, true
	}
	return "", "", false, false
}

func isWordASCII(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// percentDecodeLatin1 is urllib.parse.unquote(s, encoding="latin-1"):
// each %XX becomes the code point U+00XX, everything else stays.
func percentDecodeLatin1(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteRune(rune(hi<<4 | lo))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// getParam is Message.get_param(name, header=h) with unquoting; ok is
// false when the header or the parameter is missing.
func (m *message) getParam(name, h string) (paramValue, bool, error) {
	v, ok := m.get(h)
	if !ok {
		return paramValue{}, false, nil
	}
	want := pyLower(name)
	if !strings.Contains(v, "*") {
		// No RFC 2231 parameter: decode_params only re-quotes values, so
		// look the parameter up without building the list.
		var found paramValue
		ok := false
		isFirst := true
		parseParam(v, func(n, val string) bool {
			first := isFirst
			isFirst = false
			if pyLower(n) != want {
				return true
			}
			if first {
				found.text = unquote(val)
			} else if u := unquote(val); strings.ContainsAny(u, `\"`) {
				found.text = unquote(`"` + quote(u) + `"`)
			} else {
				found.text = u
			}
			ok = true
			return false
		})
		return found, ok, nil
	}
	ps, err := params(v)
	if err != nil {
		return paramValue{}, false, err
	}
	for _, p := range ps {
		if pyLower(p.name) == want {
			pv := p.value
			pv.text = unquote(pv.text)
			return pv, true, nil
		}
	}
	return paramValue{}, false, nil
}

// collapse is email.utils.collapse_rfc2231_value with errors='replace'
// and the us-ascii fallback.
func collapse(v paramValue) (string, error) {
	if !v.rfc2231 {
		return unquote(v.text), nil
	}
	cs := "us-ascii"
	if v.hasCharset {
		cs = v.charset
	}
	raw := rawUnicodeEscape([]byte(v.text))
	switch normCodec(cs) {
	case "utf_8":
		if !utf8.Valid(raw) {
			return "", fmt.Errorf("%w: RFC 2231 value in charset %q is not valid UTF-8", errUnsupported, cs)
		}
		return string(raw), nil
	case "ascii":
		var b strings.Builder
		for _, c := range raw {
			if c < 0x80 {
				b.WriteByte(c)
			} else {
				b.WriteRune(utf8.RuneError)
			}
		}
		return b.String(), nil
	case "latin_1":
		var b strings.Builder
		for _, c := range raw {
			b.WriteRune(rune(c))
		}
		return b.String(), nil
	case "":
		// Python: LookupError for an empty or unknown name.
		return unquote(v.text), nil
	}
	return "", fmt.Errorf("%w: RFC 2231 charset %q (only UTF-8, US-ASCII and Latin-1 are supported)", errUnsupported, cs)
}

// normCodec maps the charset names Python resolves to the three codecs we
// implement; "" means Python has no such codec. Anything else is returned
// unchanged (a real codec we do not implement).
func normCodec(cs string) string {
	n := strings.ToLower(strings.TrimSpace(cs))
	n = strings.NewReplacer("-", "_", " ", "_").Replace(n)
	switch n {
	case "utf_8", "utf8", "u8", "utf", "utf8_ucs2", "utf8_ucs4", "cp65001":
		return "utf_8"
	case "ascii", "us_ascii", "646", "us", "ansi_x3.4_1968", "ansi_x3_4_1968", "ansi_x3.4_1986", "cp367", "csascii", "ibm367", "iso646_us", "iso_646.irv_1991", "iso_ir_6":
		return "ascii"
	case "latin_1", "latin1", "latin", "l1", "iso_8859_1", "iso8859_1", "8859", "cp819", "iso_ir_100", "iso_8859_1_1987", "ibm819", "csisolatin1":
		return "latin_1"
	case "":
		return ""
	}
	return n
}

// filename is Message.get_filename: Content-Disposition's filename, else
// Content-Type's name, collapsed and stripped; ok is false when neither is
// present.
func (m *message) filename() (string, bool, error) {
	v, ok, err := m.getParam("filename", "content-disposition")
	if err != nil {
		return "", false, err
	}
	if !ok {
		v, ok, err = m.getParam("name", "content-type")
		if err != nil || !ok {
			return "", false, err
		}
	}
	s, err := collapse(v)
	return pyStrip(s), true, err
}

// boundary is Message.get_boundary.
func (m *message) boundary() (string, bool, error) {
	v, ok, err := m.getParam("boundary", "content-type")
	if err != nil || !ok {
		return "", false, err
	}
	s, err := collapse(v)
	return pyRStrip(s), true, err
}
