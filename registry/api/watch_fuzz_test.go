package api_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/store"
)

// FuzzWatchQuery feeds arbitrary query strings to the blocking query's
// parameter decoder, for both endpoints. It may not panic; a failure is a
// CodeInvalid *Error; a success has a wait from 0 to MaxWait and a limit
// from 0 to MaxChangesPage, and the parameters written back canonically
// decode to the same values.
func FuzzWatchQuery(f *testing.F) {
	for _, s := range []string{
		"index=42&wait=30s", "index=0", "after=7&wait=5m&limit=10", "after=7&wait=10", "wait=1h", "index=18446744073709551615",
		"index=18446744073709551616", "wait=-1s", "wait=9223372036854775807ns", "wait=99999999999999999999", "after=1&after=2",
		"wait=", "index=%zz", "limit=0", "after=+1", "wait=1.5s", "wait=0", "index=1&wait=1e3s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, p := range []string{"index", "after"} {
			index, wait, limit, err := api.ParseWatchQuery(q, p)
			if err != nil {
				if e, ok := err.(*registry.Error); !ok || e.Code != registry.CodeInvalid {
					t.Fatalf("%s %q: error %T %v is not an invalid_request *Error", p, raw, err, err)
				}
				continue
			}
			if wait < 0 || wait > api.MaxWait || limit < 0 || limit > store.MaxChangesPage {
				t.Fatalf("%s %q: wait %v limit %d out of range", p, raw, wait, limit)
			}
			if p == "index" && !q.Has("index") && wait != 0 {
				t.Fatalf("%q: a plain listing waits %v", raw, wait)
			}
			back := url.Values{}
			back.Set(p, strconv.FormatUint(index, 10))
			back.Set("wait", wait.String())
			if limit > 0 {
				back.Set("limit", strconv.Itoa(limit))
			}
			index2, wait2, limit2, err := api.ParseWatchQuery(back, p)
			if err != nil || index2 != index || wait2 != wait || limit2 != limit {
				t.Fatalf("%s %q -> %v %v %d -> %q -> %v %v %d, %v", p, raw, index, wait, limit, back.Encode(), index2, wait2, limit2, err)
			}
		}
	})
}

func TestParseWatchQuery(t *testing.T) {
	tests := []struct {
		param, raw string
		index      uint64
		wait       time.Duration
		bad        bool
	}{
		{"index", "", 0, 0, false},
		{"index", "wait=30s", 0, 0, false}, // a listing: no index, no wait
		{"index", "index=5", 5, api.DefaultWait, false},
		{"index", "index=5&wait=30", 5, 30 * time.Second, false},
		{"index", "index=5&wait=1h", 5, api.MaxWait, false},
		{"after", "after=9", 9, 0, false},
		{"after", "after=9&wait=250ms", 9, 250 * time.Millisecond, false},
		{"after", "wait=99999999999999999999", 0, api.MaxWait, false},
		{"after", "after=-1", 0, 0, true},
		{"after", "wait=-5s", 0, 0, true},
		{"after", "wait=", 0, 0, true},
		{"index", "index=", 0, 0, true},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.raw)
		index, wait, _, err := api.ParseWatchQuery(q, tc.param)
		if (err != nil) != tc.bad || (!tc.bad && (index != tc.index || wait != tc.wait)) {
			t.Errorf("%s %q: %d %v %v; want %d %v bad=%v", tc.param, tc.raw, index, wait, err, tc.index, tc.wait, tc.bad)
		}
	}
}
