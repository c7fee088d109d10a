package realtools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Why the self-check exists: with jsonschema unavailable, cloud-init schema
// passes a known-bad config, and the self-check reports it.
func TestCloudInitSchemaWithoutJSONSchemaPassesSilently(t *testing.T) {
	ci := Require(t, "cloud-init")
	RequirePythonModule(t, "cloudinit")
	// A module named jsonschema first on the path that fails to import,
	// as if python3-jsonschema were not installed.
	hide := t.TempDir()
	if err := os.WriteFile(filepath.Join(hide, "jsonschema.py"), []byte("raise ImportError('hidden by udkit test')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PYTHONPATH=" + hide}
	v, err := runSchemaEnv(ci, t.TempDir(), []byte(knownBadCloudConfig), env)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid {
		t.Fatalf("expected cloud-init without jsonschema to pass the known-bad config silently; it rejected it:\n%s", v.Output)
	}
	err = checkSchemaDiscriminates(ci, env)
	if err == nil || !strings.Contains(err.Error(), "accepted a known-bad cloud-config") {
		t.Errorf("self-check without jsonschema: err = %v, want a failure", err)
	}
	if err := checkSchemaDiscriminates(ci, nil); err != nil {
		t.Errorf("self-check with the installed jsonschema: %v", err)
	}
}
