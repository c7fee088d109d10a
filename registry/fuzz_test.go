package registry_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
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
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req registry.RegisterRequest
		err := registry.DecodeJSON(bytes.NewReader(body), 4096, &req)
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
		if err := registry.DecodeJSON(bytes.NewReader(again), 1<<20, &back); err != nil {
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

// FuzzParseToken checks that ParseToken accepts exactly a known prefix and
// 64 lower-case hex digits, and that its error never repeats a would-be
// secret.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"udka_", "udkj_" + strings.Repeat("a", 64), "udkm_" + strings.Repeat("0", 64), "udkx_" + strings.Repeat("0", 64), "udkm_" + strings.Repeat("A", 64), "Bearer x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		kind, err := registry.ParseToken(tok)
		ok := len(tok) == 69 && (strings.HasPrefix(tok, "udka_") || strings.HasPrefix(tok, "udkj_") || strings.HasPrefix(tok, "udkm_")) &&
			strings.Trim(tok[5:], "0123456789abcdef") == ""
		if ok != (err == nil) {
			t.Fatalf("ParseToken(%q) = %q, %v; want ok=%v", tok, kind, err, ok)
		}
		if err != nil && len(tok) >= 16 && strings.Contains(err.Error(), tok) {
			t.Fatalf("the error repeats the token: %v", err)
		}
	})
}

// FuzzScripts generates scripts from arbitrary specs: generation either
// fails with an error or yields scripts that sh parses and that carry the
// URL and cluster only as single-quoted words.
func FuzzScripts(f *testing.F) {
	f.Add("https://registry.internal:8180", "web", "/etc/udkit/join-token", "/etc/udkit/ca.pem", "owner", "team's \"ops\"")
	f.Add("http://127.0.0.1:8180/", "db", "/mnt/shared/join token", "", "k", "$(reboot)")
	f.Add("https://r/`id`", "a", "/x", "", "", "")
	f.Fuzz(func(t *testing.T, url, cluster, joinFile, caFile, labelKey, labelValue string) {
		spec := registry.ScriptSpec{URL: url, Cluster: cluster, JoinTokenFile: joinFile, CAFile: caFile,
			RegisterMaxTime: 3 * time.Second}
		if labelKey != "" {
			spec.Labels = map[string]string{labelKey: labelValue}
		}
		for _, gen := range []func(registry.ScriptSpec) ([]byte, error){registry.RegisterScript, registry.DeregisterScript} {
			script, err := gen(spec)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "registry: script spec: ") {
					t.Fatalf("error without prefix: %v", err)
				}
				continue
			}
			if out, err := exec.Command("sh", "-n", "-c", string(script)).CombinedOutput(); err != nil {
				t.Fatalf("sh -n: %v\n%s\n%s", err, out, script)
			}
			if !bytes.Contains(script, []byte("\ncluster='"+cluster+"'\n")) {
				t.Fatalf("cluster not a quoted word:\n%s", script)
			}
		}
	})
}
