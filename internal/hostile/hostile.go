// Package hostile generates the hostile documents of an attack run on
// udkit (issue 16): user data built to make a linter, validator or differ
// do unbounded work. Tests and benchmarks use them to reproduce each attack
// and to check that the fix holds; the generator command in ./gen writes
// them to files for measuring the CLI with /usr/bin/time -v.
//
// Every generator is deterministic: the same arguments give the same bytes.
package hostile

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Gzip compresses data at the best compression level, with no name and a
// zero mtime, so the output is deterministic.
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// FanOut is one cloud-config document whose aliases expand to about
// width^3 copies of a value of size bytes: three levels of lists, each
// width aliases of the level below. With width 10 and size 1000 it is about
// 200 bytes that expand to 1 MB of text.
func FanOut(width, size int) []byte {
	var b strings.Builder
	b.WriteString("#cloud-config\n")
	fmt.Fprintf(&b, "x0: &a %q\n", strings.Repeat("A", size))
	for lvl, name := range []string{"b", "c", "d"} {
		prev := string(rune('a' + lvl))
		fmt.Fprintf(&b, "x%d: &%s [", lvl+1, name)
		for i := 0; i < width; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

// MIME joins bodies as the parts of a multipart/mixed document of the
// given content type, each part named by its index.
func MIME(contentType string, bodies [][]byte) []byte {
	const boundary = "hostile-boundary"
	var b bytes.Buffer
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\nMIME-Version: 1.0\r\n\r\n", boundary)
	for i, body := range bodies {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=\"us-ascii\"\r\nContent-Disposition: attachment; filename=\"p%d\"\r\n\r\n", boundary, contentType, i)
		b.Write(body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// AliasParts is attack 1: a gzip'd MIME document of parts cloud-config
// parts, each a [FanOut] of width 10 and size bytes. With 998 parts and
// size 900 it is about 6 KB that expands to 1 GB of text if the alias
// budget is per part.
func AliasParts(parts, size int) []byte {
	bodies := make([][]byte, parts)
	for i := range bodies {
		bodies[i] = FanOut(10, size)
	}
	return Gzip(MIME("text/cloud-config", bodies))
}

// StopHookUnit is a systemd service with an ExecStop= line padded with
// comment lines of lineLen bytes to about size bytes: what the root linter
// takes for a stop hook and lints as a unit.
func StopHookUnit(size, lineLen int) []byte {
	var b strings.Builder
	b.WriteString("[Unit]\nDescription=hook\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\nExecStop=/usr/local/bin/deregister\n")
	line := "# " + strings.Repeat("x", max(lineLen-3, 0)) + "\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
	return []byte(b.String())
}

// SharedGzipUnits is attack 2: one cloud-config whose entries write_files
// entries all take their gz+b64 content from one anchor, a [StopHookUnit]
// of unitSize bytes and lines of lineLen bytes. With 60 entries, a unit
// just under 4 MiB and lines of 2000 bytes it is about 14 KB.
func SharedGzipUnits(entries, unitSize, lineLen int) []byte {
	content := base64.StdEncoding.EncodeToString(Gzip(StopHookUnit(unitSize, lineLen)))
	var b strings.Builder
	b.WriteString("#cloud-config\nwrite_files:\n")
	for i := 0; i < entries; i++ {
		fmt.Fprintf(&b, "- path: /etc/systemd/system/hook%d.service\n  encoding: gz+b64\n", i)
		if i == 0 {
			fmt.Fprintf(&b, "  content: &u %s\n", content)
		} else {
			b.WriteString("  content: *u\n")
		}
	}
	return []byte(b.String())
}

// WideMapping is attack 3: a cloud-config of keys top-level keys, the
// index in base 36 after a k, each with the value shift (so two mappings
// of different shift differ in every value). 105,000 keys take about
// 940 KB.
func WideMapping(keys, shift int) []byte {
	var b bytes.Buffer
	b.WriteString("#cloud-config\n")
	for i := 0; i < keys; i++ {
		fmt.Fprintf(&b, "k%s: %d\n", strconv.FormatInt(int64(i), 36), shift)
	}
	return b.Bytes()
}

// ReversedMapping is WideMapping with its keys in the opposite order:
// matched by key, every lookup of a linear search walks half the mapping.
func ReversedMapping(keys, shift int) []byte {
	var b bytes.Buffer
	b.WriteString("#cloud-config\n")
	for i := keys - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "k%s: %d\n", strconv.FormatInt(int64(i), 36), shift)
	}
	return b.Bytes()
}

// SharedGzipParts is attack 2 across a document: a gzip'd MIME document of
// parts copies of [SharedGzipUnits](60, just under 4 MiB, 2000), each part
// within every per-part budget.
func SharedGzipParts(parts int) []byte {
	body := SharedGzipUnits(60, 4<<20-4096, 2000)
	bodies := make([][]byte, parts)
	for i := range bodies {
		bodies[i] = body
	}
	return Gzip(MIME("text/cloud-config", bodies))
}
