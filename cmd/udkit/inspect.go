package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

func init() {
	register("inspect", command{
		summary: "decode user data (base64, gzip, MIME) and list its parts as cloud-init sees them",
		run:     runInspect,
	})
}

const inspectUsage = `usage: udkit inspect [--json] [--extract DIR [--force]] [FILE|-]

Decodes user data as cloud-init reads it (base64 as EC2 takes it, gzip,
MIME multipart, or a single document typed by its first line) and lists
its parts: content type as cloud-init acts on it, filename, merge type,
length and SHA-256 of the decoded payload. Reads standard input when FILE
is - or absent.

Content types, filenames and merge types come from the user data's
headers: in the table, one that is not printable ASCII or holds a space
or a double quote is printed Go-quoted in ASCII ("a\u0105 b.sh").

The parts listed are the ones cloud-init hands its handlers: a
#cloud-config-archive (or text/cloud-config-archive part) is expanded in
place into its entries, typed, named and launch-indexed as cloud-init
makes them; an include (#include, #include-once, text/x-include-url,
text/x-include-once-url) is replaced by the URLs it names, listed after
the table and never fetched (the parts they would bring are not shown).
Parts without a filename are the ones cloud-init names part-NNN after
their position in this list.

After the table come the conditions in which cloud-init silently passes
over or alters something (a byte order mark, MIME-Version after byte
4096, a multipart without boundary or close delimiter, an epilogue, two
Content-Type headers, a base64 document, another agent's format...), one
"warning:" line each with its rule id (see udkit lint).

--json prints one JSON object:
  {"encoding":{"base64":B,"gzip":B},"mime":B,"size":{"raw":N},
   "parts":[{"index":1,"content_type":"...","filename":"...",
             "merge_type":"...","length":N,"sha256":"..."}],
   "includes":[{"part":N,"url":"...","once":B}],
   "warnings":[{"part":N|null,"rule":"...","message":"..."}]}
size.raw is the size of the document after base64 and gzip decoding. A
part from an archive also has "archive":{"part":N,"entry":M} (M: the
entry's place in the archive's list, entries cloud-init skips counted,
as lint and plan name it) and one with
a launch index "launch_index":"N". "part" in archive, includes and
warnings counts the parts of the input as decoded, before archives are
expanded; null is the document as a whole.

--extract DIR also writes each part's decoded payload (the bytes the
sha256 is of) into DIR, to read or diff what an instance will run. File
names do not trust the headers: each is NNN-NAME, NNN the part's index
zero-padded to three digits, NAME the part's filename with every byte
other than ASCII letters, digits and . _ + - replaced by _, a . that
starts NAME or follows another . replaced by _, cut to 100 bytes; a part
without a filename gets cloud-init's name for it, part-NNN. So
filename="../../x" is written as DIR/001-_._.__x, never outside DIR.
Every file is mode 0644, shell scripts too: nothing extracted becomes an
executable by accident. DIR is created (0755) if missing, its parent must
exist. A DIR that exists must be empty, unless --force: then files of
the same names are replaced and other files left alone. Nothing is
written unless everything is: the files go to a temporary directory next
to DIR first and are renamed into place at the end; on an error DIR is
left as it was, and the error names the part and the file. With --json,
each part gains "extracted":"DIR/NNN-NAME" (only with --extract); the
text output ends with a line saying where the parts went.

Exit status: 0 on success; 2 on a usage error, or when the input cannot
be read or decoded (an archive entry cloud-init's processor raises on
included: it then acts on none of the document) or the parts cannot be
extracted (inspect has no findings, so it never exits 1).
`

// inspectJSON is the --json output; field order is the documented one.
type inspectJSON struct {
	Encoding struct {
		Base64 bool `json:"base64"`
		Gzip   bool `json:"gzip"`
	} `json:"encoding"`
	MIME bool `json:"mime"`
	Size struct {
		Raw int `json:"raw"`
	} `json:"size"`
	Parts    []inspectPart    `json:"parts"`
	Includes []inspectInclude `json:"includes"`
	Warnings []inspectWarning `json:"warnings"`
}

type inspectInclude struct {
	Part int    `json:"part"`
	URL  string `json:"url"`
	Once bool   `json:"once"`
}

type inspectWarning struct {
	Part    *int   `json:"part"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

type inspectArchive struct {
	Part  int `json:"part"`
	Entry int `json:"entry"`
}

type inspectPart struct {
	Index       int             `json:"index"`
	ContentType string          `json:"content_type"`
	Filename    string          `json:"filename"`
	MergeType   string          `json:"merge_type"`
	Length      int             `json:"length"`
	SHA256      string          `json:"sha256"`
	LaunchIndex string          `json:"launch_index,omitempty"`
	Archive     *inspectArchive `json:"archive,omitempty"`
	Extracted   string          `json:"extracted,omitempty"`
}

func runInspect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print one JSON object")
	extract := fs.String("extract", "", "write each part's decoded payload into `DIR`")
	force := fs.Bool("force", false, "with --extract, write into a non-empty DIR")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, inspectUsage)
			return exitOK
		}
		fmt.Fprintf(stderr, "udkit inspect: %v\n%s", err, inspectUsage)
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "udkit inspect: one input at most, got %d\n%s", fs.NArg(), inspectUsage)
		return exitUsage
	}
	extractSet := false
	fs.Visit(func(f *flag.Flag) { extractSet = extractSet || f.Name == "extract" })
	if extractSet && *extract == "" {
		fmt.Fprintf(stderr, "udkit inspect: --extract needs a directory\n%s", inspectUsage)
		return exitUsage
	}
	if *force && !extractSet {
		fmt.Fprintf(stderr, "udkit inspect: --force only goes with --extract\n%s", inspectUsage)
		return exitUsage
	}
	name := "-"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	data, err := readInput(name, stdin, userdata.DefaultMaxInput)
	if err != nil {
		printLine(stderr, "udkit inspect: %v", err)
		return exitTrouble
	}
	where := name
	if name == "-" {
		where = "standard input"
	}
	d, err := userdata.Decode(data, userdata.Limits{})
	if err != nil {
		printLine(stderr, "udkit inspect: %s: %v", where, err)
		return exitTrouble
	}
	var out inspectJSON
	out.Encoding.Base64, out.Encoding.Gzip = d.Base64, d.Gzip
	out.MIME = d.MIME
	out.Size.Raw = d.Size
	acted, incs, warns, err := actOn(d)
	if err != nil {
		// cloud-init's processor raises on this document and acts on
		// none of it: there are no parts to list (2, as for input that
		// does not decode; inspect has no findings to exit 1 on).
		fmt.Fprintf(stderr, "udkit inspect: %s: %v\n", where, err)
		return exitTrouble
	}
	warns = append(userdata.LintDocument(data, d), warns...)
	warns.Sort()
	out.Parts = make([]inspectPart, len(acted))
	for i, p := range acted {
		sum := sha256.Sum256(p.Body)
		out.Parts[i] = inspectPart{Index: i + 1, ContentType: p.ContentType, Filename: p.Filename,
			MergeType: p.MergeType, Length: len(p.Body), SHA256: hex.EncodeToString(sum[:]), LaunchIndex: p.LaunchIndex}
		if p.Entry > 0 {
			out.Parts[i].Archive = &inspectArchive{Part: p.From, Entry: p.Entry}
		}
	}
	out.Includes = []inspectInclude{}
	for _, inc := range incs {
		out.Includes = append(out.Includes, inspectInclude{Part: inc.Part, URL: inc.URL, Once: inc.Once})
	}
	out.Warnings = []inspectWarning{}
	for _, w := range warns {
		iw := inspectWarning{Rule: w.Rule, Message: w.Message}
		if w.Part > 0 {
			n := w.Part
			iw.Part = &n
		}
		out.Warnings = append(out.Warnings, iw)
	}
	if extractSet {
		paths, err := extractParts(bodyOf(d, acted), *extract, *force)
		if err != nil {
			printLine(stderr, "udkit inspect: --extract: %v", err)
			return exitTrouble
		}
		for i, p := range paths {
			out.Parts[i].Extracted = p
		}
	}
	if *asJSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			printLine(stderr, "udkit inspect: %v", err)
			return exitTrouble
		}
		if _, err := stdout.Write(jsonSafe(buf.Bytes())); err != nil {
			printLine(stderr, "udkit inspect: writing standard output: %v", err)
			return exitTrouble
		}
		return exitOK
	}
	writeInspectText(stdout, where, out)
	for _, s := range archiveSpans(d, acted) {
		fmt.Fprintln(stdout, s)
	}
	for _, p := range out.Parts {
		if p.LaunchIndex != "" {
			fmt.Fprintf(stdout, "launch-index: part %d runs only on the instance of launch index %s\n", p.Index, diag.Escape(p.LaunchIndex))
		}
	}
	for _, inc := range out.Includes {
		once := ""
		if inc.Once {
			once = " (include-once)"
		}
		fmt.Fprintf(stdout, "include: input part %d: %s%s (not fetched)\n", inc.Part, diag.Quote(inc.URL), once)
	}
	for _, w := range out.Warnings {
		where := ""
		if w.Part != nil {
			where = fmt.Sprintf("input part %d: ", *w.Part)
		}
		fmt.Fprintf(stdout, "warning: %s%s [%s]\n", where, diag.Escape(w.Message), w.Rule)
	}
	if extractSet {
		fmt.Fprintf(stdout, "extracted %d parts into %s\n", len(out.Parts), cell(*extract))
	}
	return exitOK
}

// readInput reads the named file, or stdin for "-", refusing more than
// max bytes.
func readInput(name string, stdin io.Reader, max int) ([]byte, error) {
	r := stdin
	where := "standard input"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err // *PathError names the file
		}
		defer f.Close()
		r, where = f, name
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s: more than %d bytes; user data is never that large", where, max)
	}
	return data, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeInspectText(w io.Writer, where string, out inspectJSON) {
	fmt.Fprintf(w, "%s: base64 %s, gzip %s, MIME %s, %d bytes raw, %d parts\n",
		esc(where), yesNo(out.Encoding.Base64), yesNo(out.Encoding.Gzip), yesNo(out.MIME), out.Size.Raw, len(out.Parts))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCONTENT TYPE\tFILENAME\tMERGE TYPE\tBYTES\tSHA256")
	for _, p := range out.Parts {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", p.Index, cell(p.ContentType), cell(p.Filename), cell(p.MergeType), p.Length, p.SHA256[:16])
	}
	tw.Flush()
}

// cell formats a value that comes from the user data's MIME headers (so
// from whoever wrote the user data) for the text table: "-" when empty,
// otherwise as userdata.QuoteHeader gives it (as is when printable ASCII
// without spaces or double quotes, else strconv.QuoteToASCII), so that a
// header can neither send escape sequences or newlines to the terminal nor
// break or fake the table's columns. A value that is literally "-" is
// quoted too, to tell it from an empty one.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	if s == "-" {
		return strconv.Quote(s)
	}
	return userdata.QuoteHeader(s)
}
