package realtools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A cloud-init schema that hangs is killed after the timeout and reported
// as such, rather than blocking the test run: here the real cloud-init,
// stuck importing a jsonschema module that sleeps for 30 seconds.
func TestCloudInitSchemaHangIsKilled(t *testing.T) {
	ci := requireCloudInit(t)
	RequirePythonModule(t, "cloudinit")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jsonschema.py"), []byte("import time\ntime.sleep(30)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := runSchemaEnv(ci, dir, []byte(knownBadCloudConfig), []string{"PYTHONPATH=@IO@"}, 2*time.Second)
	if err == nil {
		t.Fatalf("cloud-init schema stuck for 30s returned a verdict within a 2s timeout: %+v", v)
	}
	if !strings.Contains(err.Error(), "did not finish within 2s and was killed") {
		t.Errorf("err = %v, want it to say the run timed out", err)
	}
}

// Why the self-check exists: with jsonschema unavailable, cloud-init schema
// passes a known-bad config, and the self-check reports it.
func TestCloudInitSchemaWithoutJSONSchemaPassesSilently(t *testing.T) {
	ci := requireCloudInit(t)
	RequirePythonModule(t, "cloudinit")
	// A module named jsonschema first on the path that fails to import,
	// as if python3-jsonschema were not installed.
	hide := map[string]string{"jsonschema.py": "raise ImportError('hidden by udkit test')\n"}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "jsonschema.py"), []byte(hide["jsonschema.py"]), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PYTHONPATH=@IO@"}
	v, err := runSchemaEnv(ci, dir, []byte(knownBadCloudConfig), env, schemaTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid {
		t.Fatalf("expected cloud-init without jsonschema to pass the known-bad config silently; it rejected it:\n%s", v.Output)
	}
	err = checkSchemaDiscriminates(ci, env, hide)
	if err == nil || !strings.Contains(err.Error(), "accepted a known-bad cloud-config") {
		t.Errorf("self-check without jsonschema: err = %v, want a failure", err)
	}
	if err := checkSchemaDiscriminates(ci, nil, nil); err != nil {
		t.Errorf("self-check with the installed jsonschema: %v", err)
	}
}
