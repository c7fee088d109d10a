package userdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/udkit/udkit/internal/deflate"
)

// DefaultLimit is EC2's limit on user data: 16384 bytes before base64.
const DefaultLimit = 16384

// GzipMode says when [Document.Encode] compresses the whole document. The
// zero value is [GzipAuto]. It reads and writes itself as "auto",
// "always" or "never" ([GzipMode.UnmarshalText]).
type GzipMode int

const (
	// GzipAuto compresses only when the plain document is over the limit.
	// It is the zero value: a document that fits is sent as it is, one
	// that does not is gzip'd rather than refused.
	GzipAuto GzipMode = iota
	// GzipNever never compresses.
	GzipNever
	// GzipAlways always compresses.
	GzipAlways
)

// String returns "never", "always" or "auto".
func (m GzipMode) String() string {
	switch m {
	case GzipNever:
		return "never"
	case GzipAlways:
		return "always"
	case GzipAuto:
		return "auto"
	}
	return fmt.Sprintf("GzipMode(%d)", int(m))
}

// Compression selects the DEFLATE encoder's mode for gzip'd output.
type Compression int

const (
	// CompressionBest is the default: zlib level-9 effort with better
	// block splitting, never larger than `gzip -9 -n` on udkit's corpus
	// and faster than compress/gzip's default level.
	CompressionBest Compression = iota
	// CompressionMax parses optimally in the manner of zopfli: within
	// 1 % of zopfli, a few percent smaller than gzip -9, tens of times
	// slower than CompressionBest. With GzipAuto it is used only when
	// the document does not fit the limit with CompressionBest and is
	// at most a quarter over it (past that, max cannot make it fit).
	CompressionMax
)

// String returns "best" or "max".
func (c Compression) String() string {
	switch c {
	case CompressionBest:
		return "best"
	case CompressionMax:
		return "max"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

// MarshalText returns "best" or "max".
func (c Compression) MarshalText() ([]byte, error) {
	if c != CompressionBest && c != CompressionMax {
		return nil, fmt.Errorf("userdata: unknown compression %d; use CompressionBest or CompressionMax", int(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads "best" or "max".
func (c *Compression) UnmarshalText(b []byte) error {
	switch string(b) {
	case "best":
		*c = CompressionBest
	case "max":
		*c = CompressionMax
	default:
		return fmt.Errorf("userdata: compression %q: use best or max", b)
	}
	return nil
}

// Options control [Document.Encode]. The zero value encodes a MIME
// document limited to [DefaultLimit] bytes, gzip'd only when it does not
// fit otherwise ([GzipAuto]).
type Options struct {
	// Gzip says whether to gzip the whole document (cloud-init detects
	// gzip by trying to decompress).
	Gzip GzipMode
	// Base64 encodes the result in standard base64 without line breaks, the
	// form launch templates take. The limit applies before base64.
	Base64 bool
	// Limit is the largest allowed size in bytes of the document before
	// base64 (after gzip, when it is gzip'd): 0 means [DefaultLimit], a
	// negative value means no limit.
	Limit int
	// AllowUnknownTypes accepts content types cloud-init has no built-in
	// handler for (for parts handled by a custom part-handler).
	AllowUnknownTypes bool
	// Compression is the DEFLATE encoder's mode when the document is
	// gzip'd: CompressionBest (the zero value) or CompressionMax.
	Compression Compression
}

func (o Options) limit() int {
	if o.Limit == 0 {
		return DefaultLimit
	}
	return o.Limit
}

// PartSize is the size of one part in a [SizeReport].
type PartSize struct {
	Index       int    // 1-based
	ContentType string // as in the Part
	Filename    string // as in the Part
	Body        int    // bytes of the body
	Encoded     int    // bytes the part takes in the MIME document, headers and transfer encoding included
}

// SizeReport gives the sizes of an encoded document.
type SizeReport struct {
	Parts []PartSize
	// Raw is the size of the MIME document before gzip and base64.
	Raw int
	// Gzip is the size of the gzip'd MIME document (computed even when
	// the output is not gzip'd).
	Gzip int
	// Gzipped says whether the output is gzip'd.
	Gzipped bool
	// Final is the size that counts against the limit: Gzip when Gzipped,
	// else Raw.
	Final int
	// Base64 is the size of Final once base64-encoded: 4*ceil(Final/3).
	Base64 int
	// Compression is the encoder mode that made Gzip.
	Compression Compression
	// MaxSaved is how many bytes CompressionMax saved over
	// CompressionBest, when both were run (0 otherwise).
	MaxSaved int
}

// String formats the report as one line per part plus totals.
func (r SizeReport) String() string {
	var b strings.Builder
	for _, p := range r.Parts {
		fmt.Fprintf(&b, "%s: %d bytes (%d encoded)\n", label(p.Index-1, p.ContentType, p.Filename), p.Body, p.Encoded)
	}
	fmt.Fprintf(&b, "raw %d bytes, gzip %d bytes, base64 %d bytes", r.Raw, r.Gzip, r.Base64)
	if r.Compression == CompressionMax {
		fmt.Fprintf(&b, " (gzip with compression max, %d bytes smaller than best)", r.MaxSaved)
	}
	return b.String()
}

// SizeError is returned by [Document.Encode] when the document does not
// fit in the limit. It carries the full [SizeReport].
type SizeError struct {
	Limit  int
	Report SizeReport
}

// Error lists the sizes and says what to do.
func (e *SizeError) Error() string {
	var b strings.Builder
	what := "document"
	if e.Report.Gzipped {
		what = "gzip'd document"
	}
	fmt.Fprintf(&b, "userdata: %s is %d bytes, over the limit of %d bytes (raw %d bytes, gzip'd %d bytes; parts:", what, e.Report.Final, e.Limit, e.Report.Raw, e.Report.Gzip)
	for i, p := range e.Report.Parts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s %d bytes", label(p.Index-1, p.ContentType, p.Filename), p.Body)
	}
	b.WriteString(")")
	if !e.Report.Gzipped && e.Report.Gzip <= e.Limit {
		b.WriteString("; it fits gzip'd: encode with GzipAuto or GzipAlways")
	} else if e.Report.Gzipped && e.Report.Compression == CompressionBest {
		b.WriteString("; make the parts smaller, fetch the large content at boot (e.g. #include), or encode with CompressionMax (a few percent smaller)")
	} else {
		b.WriteString("; make the parts smaller or fetch the large content at boot (e.g. #include)")
	}
	return b.String()
}

// Encode returns the document as user data: a MIME multipart document,
// gzip'd and base64-encoded as o says. It fails, naming the part, on a part
// cloud-init would not read back as given, and with a [*SizeError] when the
// result is over the limit.
func (d *Document) Encode(o Options) ([]byte, error) {
	out, _, err := d.encode(o, false)
	return out, err
}

// EncodeReport is [Document.Encode] that also returns the sizes of every
// part and of the document raw, gzip'd and base64-encoded.
func (d *Document) EncodeReport(o Options) ([]byte, SizeReport, error) {
	return d.encode(o, true)
}

// Sizes returns the size report of the document encoded with o, with no
// limit applied.
func (d *Document) Sizes(o Options) (SizeReport, error) {
	o.Limit = -1
	_, r, err := d.encode(o, true)
	return r, err
}

func (d *Document) encode(o Options, wantReport bool) ([]byte, SizeReport, error) {
	var rep SizeReport
	if o.Gzip < GzipAuto || o.Gzip > GzipAlways {
		return nil, rep, fmt.Errorf("userdata: unknown gzip mode %d; use GzipNever, GzipAlways or GzipAuto", int(o.Gzip))
	}
	if o.Compression != CompressionBest && o.Compression != CompressionMax {
		return nil, rep, fmt.Errorf("userdata: unknown compression %d; use CompressionBest or CompressionMax", int(o.Compression))
	}
	if len(d.Parts) == 0 {
		return nil, rep, errors.New("userdata: document has no parts; add at least one part")
	}
	encs := make([]bool, len(d.Parts)) // true: base64
	var errs []error
	for i := range d.Parts {
		b64, err := checkPart(i, &d.Parts[i], o.AllowUnknownTypes)
		if err != nil {
			errs = append(errs, err)
		}
		encs[i] = b64
	}
	if len(errs) > 0 {
		return nil, rep, errors.Join(errs...)
	}
	boundary := makeBoundary(d.Parts)

	size := 128
	for i := range d.Parts {
		p := &d.Parts[i]
		n := len(p.Body)
		if encs[i] {
			n = base64.StdEncoding.EncodedLen(n) + 2*(n/57+1)
		}
		size += 160 + len(p.ContentType) + len(p.Filename) + len(p.MergeType) + n
	}
	doc := make([]byte, 0, size)
	doc = append(doc, "Content-Type: multipart/mixed; boundary=\""...)
	doc = append(doc, boundary...)
	doc = append(doc, "\"\r\nMIME-Version: 1.0\r\n\r\n"...)
	if wantReport {
		rep.Parts = make([]PartSize, len(d.Parts))
	}
	for i := range d.Parts {
		p := &d.Parts[i]
		start := len(doc)
		doc = append(doc, "--"...)
		doc = append(doc, boundary...)
		doc = append(doc, "\r\nContent-Type: "...)
		doc = append(doc, p.ContentType...)
		doc = append(doc, "\r\n"...)
		if p.Filename != "" {
			doc = append(doc, "Content-Disposition: attachment; filename=\""...)
			doc = append(doc, p.Filename...)
			doc = append(doc, "\"\r\n"...)
		}
		if encs[i] {
			doc = append(doc, "Content-Transfer-Encoding: base64\r\n"...)
		} else {
			doc = append(doc, "Content-Transfer-Encoding: 7bit\r\n"...)
		}
		if p.MergeType != "" {
			doc = append(doc, "X-Merge-Type: "...)
			doc = append(doc, p.MergeType...)
			doc = append(doc, "\r\n"...)
		}
		doc = append(doc, "\r\n"...)
		if encs[i] {
			doc = appendBase64Lines(doc, p.Body)
		} else {
			doc = append(doc, p.Body...)
		}
		doc = append(doc, "\r\n"...)
		if wantReport {
			rep.Parts[i] = PartSize{Index: i + 1, ContentType: p.ContentType, Filename: p.Filename, Body: len(p.Body), Encoded: len(doc) - start}
		}
	}
	doc = append(doc, "--"...)
	doc = append(doc, boundary...)
	doc = append(doc, "--\r\n"...)

	limit := o.limit()
	rep.Raw = len(doc)
	out := doc
	var gz []byte
	needGzip := o.Gzip == GzipAlways || (o.Gzip == GzipAuto && limit >= 0 && len(doc) > limit)
	if needGzip || wantReport || (limit >= 0 && len(doc) > limit) {
		if o.Compression == CompressionMax && o.Gzip == GzipAlways {
			gz = deflate.Gzip(doc, deflate.Max)
			rep.Compression = CompressionMax
			if wantReport {
				rep.MaxSaved = len(gzipBytes(doc)) - len(gz)
			}
		} else {
			gz = gzipBytes(doc)
			// With GzipAuto, max mode only when best does not fit, and
			// not when it cannot: max saves under 20 % of best's size
			// on our corpus (15 % at most, on the 60 KB bundle).
			if o.Compression == CompressionMax && needGzip && len(gz) > limit && len(gz) <= limit+limit/4 {
				mx := deflate.Gzip(doc, deflate.Max)
				rep.Compression, rep.MaxSaved = CompressionMax, len(gz)-len(mx)
				gz = mx
			}
		}
		rep.Gzip = len(gz)
	}
	if needGzip {
		out = gz
		rep.Gzipped = true
	}
	rep.Final = len(out)
	rep.Base64 = base64.StdEncoding.EncodedLen(len(out))
	if limit >= 0 && len(out) > limit {
		if rep.Parts == nil {
			rep.Parts = make([]PartSize, len(d.Parts))
			for i, p := range d.Parts {
				rep.Parts[i] = PartSize{Index: i + 1, ContentType: p.ContentType, Filename: p.Filename, Body: len(p.Body)}
			}
		}
		return nil, rep, &SizeError{Limit: limit, Report: rep}
	}
	if o.Base64 {
		enc := make([]byte, base64.StdEncoding.EncodedLen(len(out)))
		base64.StdEncoding.Encode(enc, out)
		out = enc
	}
	return out, rep, nil
}

// checkPart validates part i and says whether its body needs base64.
func checkPart(i int, p *Part, allowUnknown bool) (bool, error) {
	if err := checkPartRules(p, allowUnknown); err != nil {
		return false, fmt.Errorf("userdata: %s: %w", label(i, p.ContentType, p.Filename), err)
	}
	return !sevenBitClean(p.Body), nil
}

// checkPartRules is checkPart without the part's label, which the caller
// puts in front of the error (built only when there is one).
func checkPartRules(p *Part, allowUnknown bool) error {
	if err := checkContentType(p.ContentType); err != nil {
		return err
	}
	if !allowUnknown && !knownTypes[p.ContentType] {
		return fmt.Errorf("content type %q has no cloud-init handler; use one of the Content* constants, or set Options.AllowUnknownTypes for a custom part-handler", p.ContentType)
	}
	if err := checkFilename(p.Filename); err != nil {
		return fmt.Errorf("filename: %w", err)
	}
	if err := checkHeaderValue(p.MergeType); err != nil {
		return fmt.Errorf("merge type: %w", err)
	}
	switch p.ContentType {
	case ContentShellScript, ContentPlain, ContentNotMultipart:
		// cloud-init re-types these from the first line of the body.
		if t := typeFromStartsWith(p.Body); t != "" && t != p.ContentType {
			return fmt.Errorf("the body starts like %s, so cloud-init would act on it as %s; give the part that content type or change the first line", t, t)
		}
	}
	return nil
}

func checkContentType(ct string) error {
	if ct == "" {
		return errors.New("content type is empty; use one of the Content* constants")
	}
	slash := strings.IndexByte(ct, '/')
	if slash <= 0 || slash == len(ct)-1 || strings.Count(ct, "/") != 1 {
		return fmt.Errorf("content type %q is not of the form type/subtype", ct)
	}
	for i := 0; i < len(ct); i++ {
		c := ct[i]
		if c == '/' {
			continue
		}
		if !isTokenChar(c) || ('A' <= c && c <= 'Z') {
			b := fmt.Sprintf("%#x", c)
			if ' ' <= c && c <= '~' {
				b = fmt.Sprintf("%q", c)
			}
			return fmt.Errorf("content type %+q: byte %s is not allowed (lower-case MIME token characters only)", ct, b)
		}
	}
	if strings.HasPrefix(ct, "multipart/") || strings.HasPrefix(ct, "message/") {
		return fmt.Errorf("content type %q is a container, not a part type", ct)
	}
	return nil
}

func isTokenChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune("()<>@,;:\\\"/[]?=", rune(c))
}

// checkFilename rejects filenames that Python's email package would not
// give back unchanged from a quoted Content-Disposition parameter.
func checkFilename(s string) error {
	if s == "" {
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f {
			return fmt.Errorf("%q: byte %d (%#x) is not printable ASCII", s, i, c)
		}
		if c == '"' || c == '\\' {
			return fmt.Errorf("%q: quotes and backslashes are not allowed", s)
		}
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return fmt.Errorf("%q: leading or trailing spaces would be dropped by cloud-init", s)
	}
	if len(s) > 1 && s[0] == '<' && s[len(s)-1] == '>' {
		return fmt.Errorf("%q: a name in angle brackets loses them in cloud-init", s)
	}
	return nil
}

func checkHeaderValue(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f {
			return fmt.Errorf("%q: byte %d (%#x) is not printable ASCII", s, i, c)
		}
	}
	if s != "" && (s[0] == ' ' || s[len(s)-1] == ' ') {
		return fmt.Errorf("%q: leading or trailing spaces are not allowed", s)
	}
	return nil
}

// sevenBitClean reports whether b can be sent as 7bit: printable ASCII,
// tabs and LF line endings, lines of at most 998 bytes. Anything else (CR,
// NUL, control or 8-bit bytes) goes base64 so that it arrives unaltered.
func sevenBitClean(b []byte) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	line := 0
	for len(b) >= 8 {
		// Eight printable bytes (0x20-0x7e) at once: no byte below
		// 0x20, none at 0x7f or above.
		w := binary.LittleEndian.Uint64(b)
		if ((w-0x20*lo)&^w|(w|(w+lo)))&hi == 0 {
			line += 8
			if line > 998 {
				return false
			}
			b = b[8:]
			continue
		}
		for _, c := range b[:8] {
			if line = sevenBitStep(c, line); line < 0 {
				return false
			}
		}
		b = b[8:]
	}
	for _, c := range b {
		if line = sevenBitStep(c, line); line < 0 {
			return false
		}
	}
	return true
}

// sevenBitStep takes one byte of a 7bit body: the new line length, or -1
// when the byte or the line breaks the rule.
func sevenBitStep(c byte, line int) int {
	switch {
	case c == '\n':
		return 0
	case c == '\t' || (c >= ' ' && c < 0x7f):
		if line++; line > 998 {
			return -1
		}
		return line
	}
	return -1
}

// makeBoundary derives the boundary from the parts, and re-derives it until
// it occurs in no body and no header value.
func makeBoundary(parts []Part) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		for _, s := range []string{p.ContentType, p.Filename, p.MergeType} {
			putLen(&n, len(s))
			h.Write(n[:])
			h.Write([]byte(s))
		}
		putLen(&n, len(p.Body))
		h.Write(n[:])
		h.Write(p.Body)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	for {
		b := "==udkit-" + hex.EncodeToString(sum[:12])
		if !boundaryUsed(parts, b) {
			return b
		}
		sum = sha256.Sum256(sum[:])
	}
}

func putLen(n *[8]byte, v int) {
	for i := range n {
		n[i] = byte(v >> (8 * i))
	}
}

func boundaryUsed(parts []Part, b string) bool {
	for _, p := range parts {
		if bytes.Contains(p.Body, []byte(b)) || strings.Contains(p.Filename, b) || strings.Contains(p.MergeType, b) {
			return true
		}
	}
	return false
}

// appendBase64Lines appends base64 of b in lines of 76 characters ending
// with CRLF, without a line break after the last line.
func appendBase64Lines(dst, b []byte) []byte {
	const in = 57 // 76 output characters
	for len(b) > 0 {
		n := min(len(b), in)
		l := len(dst)
		m := base64.StdEncoding.EncodedLen(n)
		dst = append(dst, make([]byte, m)...)
		base64.StdEncoding.Encode(dst[l:], b[:n])
		b = b[n:]
		if len(b) > 0 {
			dst = append(dst, '\r', '\n')
		}
	}
	return dst
}

// gzipBytes compresses b into a gzip member with an empty header (no
// name, zero modification time), so the output is deterministic. It uses
// udkit's DEFLATE encoder (internal/deflate), which comes out no larger
// than `gzip -9 -n` on user data where compress/flate does not.
func gzipBytes(b []byte) []byte {
	return deflate.Gzip(b, deflate.Best)
}
