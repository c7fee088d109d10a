package userdata

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/udkit/udkit/internal/budget"
)

// Default decoding limits, used for the zero fields of [Limits].
const (
	DefaultMaxInput    = 1 << 20 // 1 MiB of input
	DefaultMaxInflated = 2 << 20 // 2 MiB after gunzip, all gzip streams together
	DefaultMaxParts    = 1000
	DefaultMaxDepth    = 20
)

// Limits bound the work [Decode] does. A zero field takes its default.
type Limits struct {
	// MaxInput is the largest input accepted, in bytes.
	MaxInput int
	// MaxInflated is the most bytes the gzip streams of a document (the
	// document's own and its parts') may inflate to together; beyond it
	// decoding stops with an error.
	MaxInflated int
	// MaxParts is the most MIME parts a document may hold, containers
	// included.
	MaxParts int
	// MaxDepth is the deepest nesting of multipart containers.
	MaxDepth int
	// Budget, when not nil, is the budget of the whole document (see
	// udkit.NewBudget): what the gzip streams inflate to is charged to
	// it too, so that the checks that read the decoded parts afterwards
	// share one bound with decoding.
	Budget *budget.Budget
}

func (l Limits) withDefaults() Limits {
	if l.MaxInput <= 0 {
		l.MaxInput = DefaultMaxInput
	}
	if l.MaxInflated <= 0 {
		l.MaxInflated = DefaultMaxInflated
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Decoded is user data as cloud-init reads it.
type Decoded struct {
	// Base64 says the input was base64 (as launch templates take it).
	Base64 bool
	// Gzip says the document was gzip'd as a whole.
	Gzip bool
	// MIME says the document is a MIME message (MIME-Version in its
	// first 4096 bytes); otherwise it is one part typed by its first line.
	MIME bool
	// Size is the size of the raw document, after base64 and gzip.
	Size int
	// Parts are the parts cloud-init acts on, in its order. Include and
	// archive parts are listed as such: Decode never fetches URLs nor
	// expands archives.
	Parts []Part

	// doc is the document after base64 and gzip; facts and ctHeaders are
	// what LintDocument reads (see doclint.go).
	doc       []byte
	facts     *mimeFacts
	ctHeaders [][]string // each part's Content-Type values when it has more than one
	launch    []*string  // each part's Launch-Index header, nil when absent
}

// Document returns the decoded parts as a Document.
func (d *Decoded) Document() *Document {
	return &Document{Parts: append([]Part(nil), d.Parts...)}
}

// gzipTypes are the part content types cloud-init gunzips
// (cloudinit.user_data.DECOMP_TYPES).
var gzipTypes = map[string]bool{
	"application/gzip":              true,
	"application/gzip-compressed":   true,
	"application/gzipped":           true,
	"application/x-compress":        true,
	"application/x-compressed":      true,
	"application/x-gunzip":          true,
	"application/x-gzip":            true,
	"application/x-gzip-compressed": true,
}

// Decode reads user data the way cloud-init does and returns its parts
// with the content types, filenames, merge types and payload bytes
// cloud-init's parser gives them.
//
// Base64 input (with or without line breaks) is recognised when every byte
// is in the base64 alphabet or white space and the decoded bytes are gzip,
// MIME or a document with a known first line; EC2 and launch templates
// decode it before cloud-init sees it. A gzip'd document is inflated
// (within lim). A document is MIME when "MIME-Version:" occurs, in any
// case, in its first 4096 bytes; otherwise it is a single part typed by its
// first line (text/x-not-multipart when none matches, as in cloud-init).
//
// Errors name the part (counted from 1 in cloud-init's order) and say what
// is wrong. Decode also fails where cloud-init itself fails (a MIME
// document that is not UTF-8, a gzip part that does not inflate), where the
// input breaks a limit, where the whole document is gzip data that does
// not inflate (cloud-init would take the compressed bytes for an unknown
// document), and on the few things it does not implement: a document that
// is itself message/*, message/delivery-status parts, uuencoded parts and RFC 2231 parameters in charsets other than UTF-8,
// US-ASCII and Latin-1.
func Decode(data []byte, lim Limits) (*Decoded, error) {
	lim = lim.withDefaults()
	if len(data) > lim.MaxInput {
		return nil, fmt.Errorf("userdata: input is %d bytes, over the limit of %d bytes (Limits.MaxInput)", len(data), lim.MaxInput)
	}
	d := &Decoded{}
	// owned says data is a buffer of Decode's own (base64-decoded or
	// inflated), not the caller's.
	owned := false
	if raw, ok := maybeBase64(data); ok {
		data, d.Base64, owned = raw, true, true
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		raw, err := gunzip(data, lim.MaxInflated)
		if ge, ok := err.(*gzipError); ok && ge.tooLong {
			return nil, fmt.Errorf("userdata: document: %v", err)
		} else if err != nil {
			// cloud-init does not inflate it either, and reads the
			// compressed bytes as they are.
			what := "cloud-init would take the compressed bytes for an unknown document"
			if isMIME(data) {
				what = "cloud-init would parse the compressed bytes as MIME (they hold MIME-Version)"
				if !utf8.Valid(data) {
					what = "cloud-init fails on it too (the compressed bytes hold MIME-Version but are not UTF-8)"
				}
			}
			return nil, fmt.Errorf("userdata: document: %v; %s", err, what)
		}
		if err := lim.Budget.Charge(budget.Inflate, len(raw)); err != nil {
			return nil, fmt.Errorf("userdata: document: %v", err)
		}
		data, d.Gzip, owned = raw, true, true
	}
	if !owned {
		data = bytes.Clone(data)
	}
	d.Size = len(data)
	// The parser reads the document as a string over the buffer, which
	// nothing writes to from here on; payloads that are plain substrings
	// of it become part bodies without a copy (see processor.bytes).
	doc := unsafe.String(unsafe.SliceData(data), len(data))
	var root *message
	// An all-ASCII document (the usual one) is valid UTF-8, and its
	// substrings need no raw-unicode-escape pass.
	ascii := isASCIIBytes(data)
	if isMIME(data) {
		d.MIME = true
		if !ascii && !utf8.Valid(data) {
			off := invalidUTF8At(data)
			return nil, fmt.Errorf("userdata: document: MIME document is not valid UTF-8 at byte %d, and cloud-init fails on it; encode binary parts in base64", off)
		}
		var err error
		root, d.facts, err = parseMessageFacts(doc, lim)
		if err != nil {
			return nil, fmt.Errorf("userdata: document: %v", err)
		}
	} else {
		root = &message{
			headers:     []header{{"Content-Type", ContentNotMultipart}, {"MIME-Version", "1.0"}},
			defaultType: "text/plain",
			payload:     doc,
		}
	}
	p := processor{lim: lim, binaryRoot: !d.MIME, root: root, inflateBudget: lim.MaxInflated - len(data), buf: data, ascii: ascii}
	if !d.Gzip {
		p.inflateBudget = lim.MaxInflated
	}
	p.parts = make([]Part, 0, countLeaves(root))
	if err := p.walk(root); err != nil {
		return nil, err
	}
	d.Parts = p.parts
	d.doc, d.ctHeaders, d.launch = data, p.ctHeaders, p.launch
	return d, nil
}

// countLeaves counts the messages that are not multipart containers.
func countLeaves(m *message) int {
	if !m.multi {
		return 1
	}
	n := 0
	for _, sub := range m.parts {
		n += countLeaves(sub)
	}
	return n
}

func isMIME(data []byte) bool {
	head := data[:min(len(data), 4096)]
	const key = "mime-version:"
	for i := 0; i+len(key) <= len(head); i++ {
		if (head[i] == 'm' || head[i] == 'M') && bytes.EqualFold(head[i:i+len(key)], []byte(key)) {
			return true
		}
	}
	return false
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// maybeBase64 decodes data when it is base64 of something cloud-init
// recognises.
func maybeBase64(data []byte) ([]byte, bool) {
	n := 0
	for _, c := range data {
		switch {
		case c == '\r' || c == '\n' || c == ' ' || c == '\t':
		case b64Table[c] != 0xff || c == '=':
			n++
		default:
			return nil, false
		}
	}
	if n == 0 {
		return nil, false
	}
	clean := make([]byte, 0, n)
	for _, c := range data {
		if b64Table[c] != 0xff || c == '=' {
			clean = append(clean, c)
		}
	}
	enc := base64.StdEncoding
	if len(clean)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	raw := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(raw, clean)
	if err != nil {
		return nil, false
	}
	raw = raw[:n]
	if (len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) || isMIME(raw) || typeFromStartsWith(raw) != "" {
		return raw, true
	}
	return nil, false
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// gunzip inflates data as Python's gzip module does (see gunzipPy),
// stopping with an error past limit bytes. The result is a new slice.
func gunzip(data []byte, limit int) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	// The trailer of the last member holds its size mod 2^32: a good first
	// guess for one member, trusted only up to a plausible ratio (a
	// corrupt trailer must not make a small input allocate the limit).
	guess := 4*len(data) + 64
	if len(data) >= 18 {
		if isize := int(binary.LittleEndian.Uint32(data[len(data)-4:])); isize > 0 {
			guess = min(isize, 64*len(data)+4096)
		}
	}
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	f.out = make([]byte, 0, min(guess, limit))
	out, err := gunzipPy(f, data, limit)
	f.out, f.in = nil, nil
	return out, err
}

// gzipError is a gzip stream that does not inflate, or inflates past the
// limit.
type gzipError struct {
	msg     string
	tooLong bool
}

func (e *gzipError) Error() string { return e.msg }

// processor is cloudinit.user_data.UserDataProcessor._process_msg with the
// handlers' view of each part (cloudinit.handlers.walk).
type processor struct {
	lim        Limits
	root       *message
	binaryRoot bool
	parts      []Part
	// inflateBudget is what is left of Limits.MaxInflated.
	inflateBudget int
	// buf is the document the parser's strings point into; ascii says
	// it is all ASCII.
	buf   []byte
	ascii bool
	// ctHeaders holds each part's Content-Type values when it has more
	// than one, before re-typing replaces them.
	ctHeaders [][]string
	// inMessage counts the message/* parts being walked; views holds the
	// parts inside them as their trees hold them.
	inMessage int
	views     map[*message]treeView
	// launch holds each part's Launch-Index header, nil when absent.
	launch []*string
}

// bytes returns s as bytes: the very bytes of p.buf when s is a substring
// of it (capacity capped, so an append to one part's body cannot reach
// the next), else a copy. Parts' payloads never overlap each other nor
// the headers that names and types come from, so a caller writing to one
// body changes nothing else it was given.
func (p *processor) bytes(s string) []byte {
	off, ok := p.offset(s)
	if !ok {
		return []byte(s)
	}
	return p.buf[off : off+len(s) : off+len(s)]
}

// offset returns where s starts in p.buf, when it is a non-empty
// substring of it.
func (p *processor) offset(s string) (int, bool) {
	if len(s) == 0 || len(p.buf) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(p.buf)))
	at := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if at < base || at-base > uintptr(len(p.buf)-len(s)) {
		return 0, false
	}
	return int(at - base), true
}

// inBuf reports whether s is a substring of p.buf.
func (p *processor) inBuf(s string) bool {
	_, ok := p.offset(s)
	return ok
}

func (p *processor) walk(m *message) error {
	at := len(p.parts)
	if err := p.part(m); err != nil {
		return err
	}
	isMsg := m.multi && maintype(m.contentType()) == "message"
	if isMsg {
		p.inMessage++
	}
	if m.multi {
		for _, sub := range m.parts {
			if err := p.walk(sub); err != nil {
				return err
			}
		}
	}
	if isMsg {
		p.inMessage--
		// cloud-init attached this part with the message inside it, and
		// then every part inside on its own: its handlers see the inner
		// parts twice, first inside this part (as the tree holds them: a
		// gzip part still compressed), then as attached.
		var nested []treeView
		p.nestedViews(m, &nested)
		if at+1+len(nested) > p.lim.MaxParts {
			return partError(at+1, m, m.contentType(), "more than %d parts (Limits.MaxParts)", p.lim.MaxParts)
		}
		parts := make([]Part, 0, len(p.parts)+len(nested))
		cts := make([][]string, 0, cap(parts))
		lis := make([]*string, 0, cap(parts))
		parts = append(parts, p.parts[:at+1]...)
		cts = append(cts, p.ctHeaders[:at+1]...)
		lis = append(lis, p.launch[:at+1]...)
		for _, v := range nested {
			pt := v.part
			pt.Body = bytes.Clone(pt.Body) // parts never share bytes
			parts = append(parts, pt)
			cts = append(cts, v.ct)
			lis = append(lis, v.li)
		}
		p.parts = append(parts, p.parts[at+1:]...)
		p.ctHeaders = append(cts, p.ctHeaders[at+1:]...)
		p.launch = append(lis, p.launch[at+1:]...)
	}
	return nil
}

// treeView is a part as a message/* part's tree holds it after
// cloud-init's processing.
type treeView struct {
	part Part
	ct   []string
	li   *string
}

// nestedViews appends the views of the parts inside m, in the order
// Python's walk yields them, multipart containers left out.
func (p *processor) nestedViews(m *message, out *[]treeView) {
	for _, sub := range m.parts {
		if maintype(sub.contentType()) != "multipart" {
			if v, ok := p.views[sub]; ok {
				*out = append(*out, v)
			}
		}
		if sub.multi {
			p.nestedViews(sub, out)
		}
	}
}

func (p *processor) part(m *message) error {
	ctOrig := m.contentType()
	if maintype(ctOrig) == "multipart" {
		return nil
	}
	var cts []string // the Content-Type values, kept only when more than one
	nct := 0
	for _, h := range m.headers {
		if nameIs(h.name, "Content-Type") {
			nct++
		}
	}
	if nct > 1 {
		for _, h := range m.headers {
			if nameIs(h.name, "Content-Type") {
				cts = append(cts, h.value)
			}
		}
	}
	n := len(p.parts) + 1
	fail := func(format string, args ...any) error { return partError(n, m, ctOrig, format, args...) }
	if n > p.lim.MaxParts {
		return fail("more than %d parts (Limits.MaxParts)", p.lim.MaxParts)
	}
	payload, err := p.payload(m)
	if err != nil {
		return fail("%v", err)
	}
	compressed := false
	var original *Part // a gzip part as the tree keeps it
	var text []byte    // the str cloud-init examines, when it differs from payload
	if gzipTypes[ctOrig] {
		raw, err := gunzip(payload, p.inflateBudget)
		p.inflateBudget -= len(raw)
		if err := p.lim.Budget.Charge(budget.Inflate, len(raw)); err != nil {
			return fail("%v", err)
		}
		if ge, ok := err.(*gzipError); ok && ge.tooLong {
			return fail("%v", err)
		} else if err != nil {
			return fail("%v; cloud-init fails on this part", err)
		}
		if !utf8.Valid(raw) {
			return fail("gunzipped payload is not valid UTF-8 at byte %d, and cloud-init fails on it", invalidUTF8At(raw))
		}
		if p.inMessage > 0 {
			// The tree keeps the compressed part; cloud-init names only
			// the new one it attaches, so this view has no filename.
			original = &Part{ContentType: ctOrig, MergeType: mergeTypeOf(m), Body: payload}
		}
		text, payload = raw, rawUnicodeEscape(raw)
		ctOrig, compressed = "", true
	}
	if ctOrig == "" {
		ctOrig = ContentPlain
	}
	if text == nil {
		text = payload
	}
	ct := ""
	switch ctOrig {
	case ContentPlain, ContentNotMultipart, ContentShellScript:
		ct = typeFromStartsWith(text)
	}
	if ct == "" {
		ct = ctOrig
	}
	var filename, mergeType string
	if compressed {
		fn, _, err := m.filename()
		if err != nil {
			return fail("filename: %v", err)
		}
		if fn != "" && isASCII(fn) {
			// cloud-init writes the name into a new part and reads it
			// back, which unquotes it once more.
			fn = pyStrip(unquote(fn))
		}
		filename = fn
	} else {
		// cloud-init rewrites the Content-Type of a re-typed part, and
		// also that of the root message, which is the part itself when
		// the document is not multipart: parameters such as name= go.
		if ct != ctOrig || m == p.root {
			m.replace("Content-Type", ct)
		}
		fn, _, err := m.filename()
		if err != nil {
			return fail("filename: %v", err)
		}
		filename = fn
		mergeType = mergeTypeOf(m)
	}
	if maintype(ctOrig) == "message" {
		payload = nil // Python's get_payload(decode=True) of a message/* part
	}
	p.parts = append(p.parts, Part{ContentType: ct, Filename: filename, MergeType: mergeType, Body: payload})
	p.ctHeaders = append(p.ctHeaders, cts)
	var li *string
	if v, ok := m.get("Launch-Index"); ok {
		li = &v
	}
	p.launch = append(p.launch, li)
	if p.inMessage > 0 {
		if p.views == nil {
			p.views = map[*message]treeView{}
		}
		v := treeView{part: p.parts[len(p.parts)-1], ct: cts, li: li}
		if original != nil {
			v = treeView{part: *original, ct: cts, li: li}
		}
		p.views[m] = v
	}
	return nil
}

// mergeTypeOf is the merge type cloud-init's cloud-config handler reads:
// the first non-empty of the headers named exactly Merge-Type and
// X-Merge-Type.
func mergeTypeOf(m *message) string {
	for _, h := range []string{"Merge-Type", "X-Merge-Type"} {
		if m.hasExact(h) {
			if v, _ := m.get(h); v != "" {
				return v
			}
		}
	}
	return ""
}

func partError(n int, m *message, ct, format string, args ...any) error {
	fn, _, _ := m.filename()
	return fmt.Errorf("userdata: %s: %s", label(n-1, ct, fn), fmt.Sprintf(format, args...))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// payload is cloudinit.util.fully_decoded_payload as bytes: the payload
// after its Content-Transfer-Encoding.
func (p *processor) payload(m *message) ([]byte, error) {
	if m == p.root && p.binaryRoot {
		return p.bytes(m.payload), nil
	}
	b := p.bytes(m.payload)
	if !p.ascii || !p.inBuf(m.payload) {
		b = rawUnicodeEscape(b)
	}
	cte, _ := m.get("content-transfer-encoding")
	switch pyLower(cte) {
	case "quoted-printable":
		return a2bQP(b), nil
	case "base64":
		joined := make([]byte, 0, len(b))
		for _, c := range b {
			if c != '\r' && c != '\n' {
				joined = append(joined, c)
			}
		}
		return decodeB(joined), nil
	case "x-uuencode", "uuencode", "uue", "x-uue":
		return nil, fmt.Errorf("uuencoded parts are not supported; use base64")
	}
	return b, nil
}
