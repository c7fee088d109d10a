package userdata

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"math/rand"
	"os/exec"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// gzipVariants returns valid gzip streams of several kinds (dynamic,
// fixed and stored blocks, several members, header fields, padding) and
// pseudo-random corruptions of them.
func gzipVariants(t testing.TB, n int) [][]byte {
	seed := mustEncode(t, seedDocument(t))
	var valid [][]byte
	long := bytes.Repeat([]byte("ab"), 35000) // more than one stored block
	for _, lvl := range []int{flate.NoCompression, flate.HuffmanOnly, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression} {
		ins := [][]byte{seed, []byte("#!/bin/sh\n"), {}}
		if lvl == flate.NoCompression {
			ins = append(ins, long)
		}
		for _, in := range ins {
			var b bytes.Buffer
			w, _ := gzip.NewWriterLevel(&b, lvl)
			w.Name, w.Comment, w.Extra = "x.txt", "c", []byte{1, 2, 3, 4}
			w.Write(in)
			w.Close()
			valid = append(valid, b.Bytes())
		}
	}
	valid = append(valid, gzipBytes(seed), append(gzipBytes(seed), gzipBytes([]byte("more"))...), append(gzipBytes(seed), 0, 0, 0))
	rng := rand.New(rand.NewSource(2))
	out := append([][]byte(nil), valid...)
	for len(out) < n {
		v := append([]byte(nil), valid[rng.Intn(len(valid))]...)
		switch rng.Intn(6) {
		case 0, 1: // flip bits
			for k := 1 + rng.Intn(3); k > 0; k-- {
				i := rng.Intn(len(v))
				v[i] ^= 1 << rng.Intn(8)
			}
		case 2: // truncate
			v = v[:rng.Intn(len(v))]
		case 3: // trailing garbage or padding
			v = append(v, []byte{0, 0, 'x', 0x1f}[:1+rng.Intn(4)]...)
		case 4: // header flags
			if len(v) > 3 {
				v[3] = byte(rng.Intn(256))
			}
		case 5: // overwrite a byte in the deflate data
			if len(v) > 12 {
				v[10+rng.Intn(len(v)-10)] = byte(rng.Intn(256))
			}
		}
		out = append(out, v)
	}
	return out
}

// TestGunzipMatchesPython compares gunzip with Python's gzip module (what
// cloud-init's decomp_gzip uses) on valid and corrupted gzip streams: both
// must accept the same streams with the same output.
func TestGunzipMatchesPython(t *testing.T) {
	realtools.Require(t, realtools.Python)
	inputs := gzipVariants(t, 1500)
	in, _ := json.Marshal(inputs)
	const script = `
import base64, gzip, io, json, sys
out = []
for d in json.load(sys.stdin):
    data = base64.b64decode(d or "")
    try:
        with gzip.GzipFile(None, "rb", 1, io.BytesIO(data)) as g:
            out.append({"ok": base64.b64encode(g.read()).decode()})
    except Exception as e:
        out.append({"err": type(e).__name__ + ": " + str(e)})
json.dump(out, sys.stdout)
`
	cmd := exec.Command(realtools.Python, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	res, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var py []struct {
		OK  *string `json:"ok"`
		Err string  `json:"err"`
	}
	if err := json.Unmarshal(res, &py); err != nil {
		t.Fatal(err)
	}
	accepted, failures := 0, 0
	for i, data := range inputs {
		got, err := gunzip(data, 1<<24)
		switch {
		case py[i].OK != nil && err != nil:
			failures++
			t.Errorf("variant %d: Python inflates it, gunzip says %v", i, err)
		case py[i].OK == nil && err == nil:
			failures++
			t.Errorf("variant %d: Python fails (%s), gunzip gives %d bytes", i, py[i].Err, len(got))
		case py[i].OK != nil:
			accepted++
			want, _ := base64.StdEncoding.DecodeString(*py[i].OK)
			if !bytes.Equal(got, want) {
				failures++
				t.Errorf("variant %d: output differs from Python's", i)
			}
		}
		if failures > 10 {
			t.Fatal("too many differences")
		}
	}
	t.Logf("%d streams, %d accepted by both", len(inputs), accepted)
}

// FuzzGunzip compares gunzip with compress/gzip: where both accept a
// stream they must give the same bytes, and gunzip never exceeds its
// limit.
func FuzzGunzip(f *testing.F) {
	for _, v := range gzipVariants(f, 60) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := gunzip(data, 1<<16)
		if err == nil && len(got) > 1<<16 {
			t.Fatalf("%d bytes over the limit", len(got))
		}
		zr, zerr := gzip.NewReader(bytes.NewReader(data))
		if zerr != nil || err != nil {
			return
		}
		var want bytes.Buffer
		if _, zerr := want.ReadFrom(zr); zerr == nil && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("gunzip and compress/gzip disagree on the output")
		}
	})
}
