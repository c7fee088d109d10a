package userdata

import (
	"encoding"
	"testing"
)

var (
	_ encoding.TextMarshaler   = GzipAuto
	_ encoding.TextUnmarshaler = new(GzipMode)
)

func TestGzipModeText(t *testing.T) {
	var zero GzipMode
	if zero != GzipAuto {
		t.Errorf("zero GzipMode is %v, want auto", zero)
	}
	for _, m := range []GzipMode{GzipAuto, GzipNever, GzipAlways} {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got GzipMode
		if err := got.UnmarshalText(b); err != nil || got != m {
			t.Errorf("%s: round trip gave %v, %v", b, got, err)
		}
	}
	var m GzipMode
	if err := m.UnmarshalText([]byte("sometimes")); err == nil {
		t.Error("sometimes: no error")
	}
	if _, err := GzipMode(7).MarshalText(); err == nil {
		t.Error("GzipMode(7): no error")
	}
}
