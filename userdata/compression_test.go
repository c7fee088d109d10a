package userdata

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestCompressionText(t *testing.T) {
	for _, c := range []Compression{CompressionBest, CompressionMax} {
		b, err := c.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Compression
		if err := got.UnmarshalText(b); err != nil || got != c {
			t.Errorf("%v: round trip gives %v, %v", c, got, err)
		}
	}
	var c Compression
	if err := c.UnmarshalText([]byte("zopfli")); err == nil || !strings.Contains(err.Error(), "use best or max") {
		t.Errorf("UnmarshalText(zopfli) = %v", err)
	}
	if _, err := seedDocument(t).Encode(Options{Compression: 7}); err == nil || !strings.Contains(err.Error(), "unknown compression 7") {
		t.Errorf("Encode with compression 7: %v", err)
	}
}

func gunzipStd(t *testing.T, gz []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompressionMax checks that max mode is used as documented: always
// with GzipAlways, with GzipAuto only when best does not fit, and that
// the report says so.
func TestCompressionMax(t *testing.T) {
	d := largeBundle(t)
	plain := mustEncode(t, d)
	best, repBest, err := d.EncodeReport(Options{Gzip: GzipAlways, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	max, repMax, err := d.EncodeReport(Options{Gzip: GzipAlways, Limit: -1, Compression: CompressionMax})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gunzipStd(t, max), plain) || !bytes.Equal(gunzipStd(t, best), plain) {
		t.Fatal("gzip'd documents do not inflate to the plain one")
	}
	if repBest.Compression != CompressionBest || repMax.Compression != CompressionMax {
		t.Errorf("reports say %v and %v", repBest.Compression, repMax.Compression)
	}
	if repMax.MaxSaved != len(best)-len(max) || repMax.MaxSaved <= 0 {
		t.Errorf("MaxSaved %d, best %d bytes, max %d", repMax.MaxSaved, len(best), len(max))
	}
	if !strings.Contains(repMax.String(), "compression max") {
		t.Errorf("report does not say max was used:\n%s", repMax)
	}
	// Auto: a limit that best fits keeps best; one only max fits uses max.
	for _, tt := range []struct {
		limit int
		want  Compression
	}{{len(best), CompressionBest}, {len(max), CompressionMax}} {
		out, rep, err := d.EncodeReport(Options{Gzip: GzipAuto, Limit: tt.limit, Compression: CompressionMax})
		if err != nil {
			t.Fatalf("limit %d: %v", tt.limit, err)
		}
		if rep.Compression != tt.want || !bytes.Equal(gunzipStd(t, out), plain) {
			t.Errorf("limit %d: used %v, want %v", tt.limit, rep.Compression, tt.want)
		}
	}
	// Far over the limit, max mode is not tried: it could not fit.
	if _, rep, err := d.EncodeReport(Options{Gzip: GzipAuto, Limit: len(max) / 2, Compression: CompressionMax}); err == nil || rep.Compression != CompressionBest {
		t.Errorf("limit %d: used %v (err %v), want best and a size error", len(max)/2, rep.Compression, err)
	}
	// Best alone does not fit max's size, and says what else to try.
	if _, err := d.Encode(Options{Gzip: GzipAuto, Limit: len(max)}); err == nil || !strings.Contains(err.Error(), "CompressionMax") {
		t.Errorf("best at max's size: %v", err)
	}
}
