package registry_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
)

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
		// The renew script also names the register script and the stop
		// hook: fuzzed from the CA path and the label key.
		spec.RegisterScript = caFile
		spec.StopHookUnit = labelKey
		for _, gen := range []func(registry.ScriptSpec) ([]byte, error){registry.RegisterScript, registry.DeregisterScript, registry.RenewScript} {
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
