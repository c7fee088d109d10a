package api_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
)

// FuzzRegisterBody feeds arbitrary bodies to the API's strict decoder and
// the request validation. Neither may panic; every failure is an *Error
// with a code; a body that passes both survives an encode/decode round
// trip unchanged and still validates.
func FuzzRegisterBody(f *testing.F) {
	for _, s := range []string{
		`{"instance_id":"i-0123456789abcdef0","address":"10.0.0.7:8080","labels":{"role":"app"},"user_data_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`,
		`{"instance_id":"i-1","member_token":"udkm_0000000000000000000000000000000000000000000000000000000000000000"}`,
		`{"instance_id":"i-1"}{"instance_id":"i-2"}`,
		`{"instance_id":7}`, `[]`, ``, `{"admin":true}`, `{"instance_id":"i-1","labels":{"a":"\u0000"}}`,
		`{"live":["i-1"],"registered_before":"2030-01-01T00:00:00Z"}`,
		// Issue 16 item 10: C1, bidi override, line separator, and label
		// separators inside a value.
		`{"instance_id":"i-1","labels":{"a":"\u009b2J","b":"\u202etxt","c":"x\u2028y","d":"x,admin=true"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req registry.RegisterRequest
		err := api.DecodeJSON(bytes.NewReader(body), 4096, &req)
		if err != nil {
			if _, ok := err.(*registry.Error); !ok {
				t.Fatalf("decode error %T %v is not an *Error", err, err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			if e, ok := err.(*registry.Error); !ok || e.Code != registry.CodeInvalid {
				t.Fatalf("validation error %T %v", err, err)
			}
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var back registry.RegisterRequest
		if err := api.DecodeJSON(bytes.NewReader(again), 1<<20, &back); err != nil {
			t.Fatalf("re-decode %s: %v", again, err)
		}
		if len(back.Labels) == 0 && len(req.Labels) == 0 {
			back.Labels, req.Labels = nil, nil
		}
		if !reflect.DeepEqual(req, back) {
			t.Fatalf("round trip changed %+v into %+v", req, back)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("round trip no longer validates: %v", err)
		}
	})
}

// FuzzLeaseBody feeds arbitrary bodies to the decoder and the validation
// of a lease setting: no panic, every failure an *Error, and what passes
// is a TTL of 0 or within the bounds.
func FuzzLeaseBody(f *testing.F) {
	for _, s := range []string{`{"ttl_seconds":90}`, `{"ttl_seconds":0}`, `{"ttl_seconds":-5}`, `{"ttl_seconds":1e99}`, `{"ttl_seconds":"90"}`, `{"ttl":90}`, `{}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req registry.LeaseRequest
		if err := api.DecodeJSON(bytes.NewReader(body), 4096, &req); err != nil {
			if _, ok := err.(*registry.Error); !ok {
				t.Fatalf("decode error %T %v is not an *Error", err, err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			if e, ok := err.(*registry.Error); !ok || e.Code != registry.CodeInvalid {
				t.Fatalf("validation error %T %v", err, err)
			}
			return
		}
		if req.TTLSeconds != 0 && (req.TTLSeconds < 5 || req.TTLSeconds > 7*24*3600) {
			t.Fatalf("ttl %d validated", req.TTLSeconds)
		}
	})
}
