package userdata

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/internal/realtools"
)

// largeBundle is a ~60 KB document: the seed parts plus thirty-six task
// scripts and a cloud-config that writes thirty-six files, each a variant of
// the seed's.
func largeBundle(t testing.TB) *Document {
	seed := seedDocument(t)
	d := &Document{Parts: append([]Part(nil), seed.Parts...)}
	var cc strings.Builder
	cc.WriteString("#cloud-config\nwrite_files:\n")
	unit := string(seed.Parts[0].Body)
	for i := 0; i < 36; i++ {
		fmt.Fprintf(&cc, "  - path: /etc/appsrv/task-%02d.conf\n    permissions: '0644'\n    content: |\n", i)
		for _, line := range strings.Split(unit, "\n")[4:24] {
			fmt.Fprintf(&cc, "      %s # task %d\n", strings.TrimSpace(line), i*7919%1000)
		}
	}
	d.Parts = append(d.Parts, Part{ContentType: ContentCloudConfig, Filename: "tasks.yaml", MergeType: MergeAppend, Body: []byte(cc.String())})
	for i := 0; i < 36; i++ {
		body := strings.ReplaceAll(string(seed.Parts[1].Body), "register", fmt.Sprintf("task%02d", i))
		body = strings.ReplaceAll(body, "5 attempts", fmt.Sprintf("%d attempts", 3+i%5))
		d.Parts = append(d.Parts, Part{ContentType: ContentShellScript, Filename: fmt.Sprintf("%02d-task.sh", 30+i), Body: []byte(body)})
	}
	return d
}

// baselineEncode composes the document the plain way, as terraform's
// cloudinit provider does: mime/multipart with a fixed boundary, headers
// through textproto, a new gzip writer for every call, base64 of the
// result.
func baselineEncode(d *Document, gz, b64 bool) []byte {
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	mw := multipart.NewWriter(w)
	mw.SetBoundary("MIMEBOUNDARY")
	fmt.Fprintf(w, "Content-Type: multipart/mixed; boundary=%q\n", mw.Boundary())
	io.WriteString(w, "MIME-Version: 1.0\r\n\r\n")
	for _, p := range d.Parts {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", p.ContentType)
		h.Set("MIME-Version", "1.0")
		h.Set("Content-Transfer-Encoding", "7bit")
		if p.Filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", p.Filename))
		}
		if p.MergeType != "" {
			h.Set("X-Merge-Type", p.MergeType)
		}
		pw, _ := mw.CreatePart(h)
		pw.Write(p.Body)
	}
	mw.Close()
	if zw != nil {
		zw.Close()
	}
	if b64 {
		return []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
	}
	return buf.Bytes()
}

var benchModes = []struct {
	name string
	opts Options
}{
	{"plain", Options{Limit: -1}},
	{"gzip", Options{Gzip: GzipAlways, Limit: -1}},
	{"gzip+base64", Options{Gzip: GzipAlways, Base64: true, Limit: -1}},
	{"gzip+base64+max", Options{Gzip: GzipAlways, Base64: true, Limit: -1, Compression: CompressionMax}},
}

func benchDocs(b *testing.B) []struct {
	name string
	doc  *Document
} {
	return []struct {
		name string
		doc  *Document
	}{{"seed", seedDocument(b)}, {"large", largeBundle(b)}}
}

// BenchmarkEncode measures Encode next to the baseline that creates a
// fresh gzip writer per call, in one run.
func BenchmarkEncode(b *testing.B) {
	for _, bd := range benchDocs(b) {
		for _, m := range benchModes {
			b.Run(bd.name+"/"+m.name, func(b *testing.B) {
				b.ReportAllocs()
				out, _ := bd.doc.Encode(m.opts)
				b.SetBytes(int64(len(out)))
				for i := 0; i < b.N; i++ {
					if _, err := bd.doc.Encode(m.opts); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		// The same work as gzip+base64 and the baseline, alternately in
		// one loop so that a busy machine slows both alike:
		// x-baseline is how many times faster Encode is.
		b.Run(bd.name+"/vs-baseline", func(b *testing.B) {
			o := Options{Gzip: GzipAlways, Base64: true, Limit: -1}
			var ours, theirs time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := bd.doc.Encode(o); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				baselineEncode(bd.doc, true, true)
				theirs += time.Since(t1)
				ours += t1.Sub(t0)
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "udkit-ns/op")
			b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "baseline-ns/op")
			b.ReportMetric(float64(theirs)/float64(ours), "x-baseline")
		})
		b.Run(bd.name+"/baseline-gzip+base64", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(baselineEncode(bd.doc, true, true))))
			for i := 0; i < b.N; i++ {
				baselineEncode(bd.doc, true, true)
			}
		})
	}
}

var (
	cloudInitTimes   = map[string]time.Duration{}
	cloudInitTimesMu sync.Mutex
)

// cloudInitParseTime times cloud-init's parser on doc once per benchmark
// process.
func cloudInitParseTime(b *testing.B, name string, doc []byte) time.Duration {
	cloudInitTimesMu.Lock()
	defer cloudInitTimesMu.Unlock()
	if d, ok := cloudInitTimes[name]; ok {
		return d
	}
	d := realtools.CloudInitParseTime(b, doc, 200)
	cloudInitTimes[name] = d
	return d
}

// BenchmarkDecode measures Decode and, in the same run, cloud-init's own
// parser on the same gzip'd documents: the gzip sub-benchmarks report
// cloud-init's time per parse (best of three timeit runs of 200 parses, in
// one Python process) as cloud-init-ns/op, and how many times faster Decode
// is as x-cloud-init.
func BenchmarkDecode(b *testing.B) {
	for _, bd := range benchDocs(b) {
		for _, m := range benchModes {
			enc, err := bd.doc.Encode(m.opts)
			if err != nil {
				b.Fatal(err)
			}
			var py time.Duration
			if m.name == "gzip" {
				// Timed before the Go sub-benchmark, outside it.
				py = cloudInitParseTime(b, bd.name, enc)
			}
			b.Run(bd.name+"/"+m.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(enc)))
				for i := 0; i < b.N; i++ {
					if _, err := Decode(enc, Limits{}); err != nil {
						b.Fatal(err)
					}
				}
				if py > 0 {
					b.ReportMetric(float64(py.Nanoseconds()), "cloud-init-ns/op")
					b.ReportMetric(float64(py)/(float64(b.Elapsed())/float64(b.N)), "x-cloud-init")
				}
			})
		}
	}
}

// BenchmarkDecodeGzipBomb times how fast a 512 MiB gzip bomb is refused.
func BenchmarkDecodeGzipBomb(b *testing.B) {
	bomb := gzipBomb(b, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(bomb, Limits{}); err == nil {
			b.Fatal("bomb accepted")
		}
	}
}
