package udkit_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"os"
	"testing"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

// managedServer reads the managed-server example's spec file.
func managedServer(b *testing.B) ([]byte, *udkit.SpecFile) {
	b.Helper()
	data, err := os.ReadFile("examples/managed-server/spec.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sf, err := udkit.ParseSpecFile(data, os.DirFS("examples/managed-server"))
	if err != nil {
		b.Fatal(err)
	}
	return data, sf
}

// The three benchmarks below are meant to be read side by side (one run,
// go test -bench 'Render|PlainComposition' -count 5 | benchstat): the
// target is Render at most 1/4 of PlainComposition's time, under 600
// allocations.

// BenchmarkRender renders the managed-server spec, lint included, gzip'd:
// what a deployment tool pays per instance.
func BenchmarkRender(b *testing.B) {
	_, sf := managedServer(b)
	o := sf.Output
	o.Gzip = userdata.GzipAlways
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := udkit.Render(sf.Spec, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSpecFileRender reads the spec file and renders it, as
// `udkit render` does.
func BenchmarkParseSpecFileRender(b *testing.B) {
	data, sf := managedServer(b)
	o := sf.Output
	o.Gzip = userdata.GzipAlways
	dir := os.DirFS("examples/managed-server")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sf, err := udkit.ParseSpecFile(data, dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := udkit.Render(sf.Spec, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlainComposition is the baseline: the same parts, already
// built, written as a MIME multipart document with the standard library
// through a fresh compress/gzip writer per call, with no checks at all.
func BenchmarkPlainComposition(b *testing.B) {
	_, sf := managedServer(b)
	bundle, err := udkit.Build(sf.Spec)
	if err != nil {
		b.Fatal(err)
	}
	parts := bundle.Document.Parts
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		plainComposition(b, parts)
	}
}

// plainComposition is one iteration of BenchmarkPlainComposition.
func plainComposition(b *testing.B, parts []userdata.Part) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	mw := multipart.NewWriter(zw)
	fmt.Fprintf(zw, "Content-Type: multipart/mixed; boundary=%q\r\nMIME-Version: 1.0\r\n\r\n", mw.Boundary())
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", p.ContentType+`; charset="us-ascii"`)
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", p.Filename))
		if p.MergeType != "" {
			h.Set("X-Merge-Type", p.MergeType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			b.Fatal(err)
		}
		w.Write(p.Body)
	}
	mw.Close()
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRenderVsPlain runs Render and the plain composition
// alternately in one loop, so that a busy machine slows both alike, and
// reports render-ns/op, plain-ns/op and render/plain, the ratio the
// target bounds (at most 0.25). It complements the three benchmarks
// above, whose separate runs a shared machine's load can skew.
func BenchmarkRenderVsPlain(b *testing.B) {
	_, sf := managedServer(b)
	o := sf.Output
	o.Gzip = userdata.GzipAlways
	bundle, err := udkit.Build(sf.Spec)
	if err != nil {
		b.Fatal(err)
	}
	parts := bundle.Document.Parts
	var render, plain time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, _, err := udkit.Render(sf.Spec, o); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		plainComposition(b, parts)
		plain += time.Since(t1)
		render += t1.Sub(t0)
	}
	b.ReportMetric(float64(render.Nanoseconds())/float64(b.N), "render-ns/op")
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(float64(render)/float64(plain), "render/plain")
}
