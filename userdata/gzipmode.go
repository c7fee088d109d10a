package userdata

import (
	"fmt"

	"github.com/udkit/udkit/diag"
)

// ParseGzipMode reads "auto", "always" or "never".
func ParseGzipMode(s string) (GzipMode, error) {
	switch s {
	case "auto":
		return GzipAuto, nil
	case "always":
		return GzipAlways, nil
	case "never":
		return GzipNever, nil
	}
	return GzipAuto, fmt.Errorf("userdata: gzip mode %s: use auto, always or never", diag.Quote(s))
}

// MarshalText returns "auto", "always" or "never".
func (m GzipMode) MarshalText() ([]byte, error) {
	if m < GzipAuto || m > GzipAlways {
		return nil, fmt.Errorf("userdata: invalid gzip mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads "auto", "always" or "never", so that a GzipMode can
// be a flag (flag.TextVar) or a field of a JSON or YAML configuration.
func (m *GzipMode) UnmarshalText(b []byte) error {
	v, err := ParseGzipMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
