package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

// sizeReportSchema is the version of `render --report --json`'s object;
// fields are only ever added to it.
const sizeReportSchema = 1

// sizeReportJSON is `render --report --json`'s output, documented in
// render's help.
type sizeReportJSON struct {
	Schema   int    `json:"schema"`
	File     string `json:"file"`
	Limit    int    `json:"limit"`
	Fits     bool   `json:"fits"`
	Encoding struct {
		Gzip   bool `json:"gzip"`
		Base64 bool `json:"base64"`
	} `json:"encoding"`
	Sizes struct {
		Raw    int `json:"raw"`
		Gzip   int `json:"gzip"`
		Final  int `json:"final"`
		Base64 int `json:"base64"`
		Output int `json:"output"`
	} `json:"sizes"`
	Parts []sizeReportPart `json:"parts"`
}

type sizeReportPart struct {
	Index       int    `json:"index"`
	ContentType string `json:"content_type"`
	Filename    string `json:"filename"`
	Body        int    `json:"body"`
	Encoded     int    `json:"encoded"`
}

// encodeOptions is what udkit.Bundle.Encode passes to the userdata
// package for o.
func encodeOptions(o udkit.Options) userdata.Options {
	return userdata.Options{Gzip: o.Gzip, Base64: o.Base64, Limit: o.Limit, Compression: o.Compression}
}

// printRenderError prints an error of reading, building or rendering a
// spec after one "udkit render: " (a spec's problems follow on their own
// lines as FILE:LINE: PATH: MESSAGE).
func printRenderError(stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "udkit render: %s\n", errText(err))
}

// renderReport finishes `render --report`: it writes the user data to out
// (when given and rendered), then the size report to stdout, text or
// JSON. A document over the limit still gets its report, and exit 1, as
// does one refused for lint errors; renderErr is udkit.Render's error.
func renderReport(stdout, stderr io.Writer, file, out string, asJSON bool, spec *udkit.Spec, o udkit.Options, data []byte, renderErr error) int {
	b, err := udkit.Build(spec)
	if err != nil {
		printRenderError(stderr, err)
		return exitFail
	}
	_, rep, err := b.Document.EncodeReport(encodeOptions(o))
	fits := true
	var sizeErr *userdata.SizeError
	if errors.As(err, &sizeErr) {
		rep, fits = sizeErr.Report, false
	} else if err != nil {
		printRenderError(stderr, err)
		return exitFail
	}
	if renderErr == nil && out != "" {
		if err := writeFileAtomic(out, data); err != nil {
			fmt.Fprintf(stderr, "udkit render: -o %v\n", err)
			return exitTrouble
		}
	}
	limit := o.Limit
	switch {
	case limit == 0:
		limit = userdata.DefaultLimit
	case limit < 0:
		limit = -1
	}
	var r sizeReportJSON
	r.Schema, r.File, r.Limit, r.Fits = sizeReportSchema, file, limit, fits
	r.Encoding.Gzip, r.Encoding.Base64 = rep.Gzipped, o.Base64
	r.Sizes.Raw, r.Sizes.Gzip, r.Sizes.Final, r.Sizes.Base64 = rep.Raw, rep.Gzip, rep.Final, rep.Base64
	switch {
	case renderErr != nil || !fits:
		r.Sizes.Output = 0 // refused: nothing written
	case o.Base64:
		r.Sizes.Output = rep.Base64
	default:
		r.Sizes.Output = rep.Final
	}
	r.Parts = make([]sizeReportPart, len(rep.Parts))
	for i, p := range rep.Parts {
		r.Parts[i] = sizeReportPart{Index: p.Index, ContentType: p.ContentType, Filename: p.Filename, Body: p.Body, Encoded: p.Encoded}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		err = enc.Encode(r)
	} else {
		err = writeSizeReport(stdout, r, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "udkit render: writing standard output: %v\n", err)
		return exitTrouble
	}
	if renderErr != nil {
		printRenderError(stderr, renderErr)
		return exitFail
	}
	return exitOK
}

// writeSizeReport writes the text form of the report: a verdict line,
// then userdata.SizeReport's own lines.
func writeSizeReport(w io.Writer, r sizeReportJSON, rep userdata.SizeReport) error {
	form := "raw MIME"
	if r.Encoding.Gzip {
		form = "gzip'd"
	}
	verdict := "no limit"
	if r.Limit >= 0 {
		verdict = fmt.Sprintf("limit %d bytes: fits", r.Limit)
		if !r.Fits {
			verdict = fmt.Sprintf("limit %d bytes: OVER by %d bytes", r.Limit, r.Sizes.Final-r.Limit)
		}
	}
	out := fmt.Sprintf("%s: %d parts; document %d bytes %s, %s; output %d bytes\n%s\n",
		r.File, len(r.Parts), r.Sizes.Final, form, verdict, r.Sizes.Output, rep.String())
	_, err := io.WriteString(w, out)
	return err
}
