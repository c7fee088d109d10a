package udkit_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/userdata"
)

// errors.As finds every error a caller may branch on, through the
// root's wrapping.
func TestErrorsAs(t *testing.T) {
	var se *udkit.SpecError
	if _, err := udkit.Build(&udkit.Spec{Name: "-x"}); !errors.As(err, &se) || len(se.Problems) != 2 {
		t.Errorf("Build: %v, want a *SpecError with 2 problems", err)
	}
	if _, err := udkit.ParseSpecFile([]byte("name: x\nderegister: {command: [leave]}\n"), nil); !errors.As(err, &se) || se.Problems[0].Line != 2 {
		t.Errorf("ParseSpecFile: %v, want a *SpecError with a line", err)
	}
	if _, err := udkit.ParseSpecFile([]byte("name: [\n"), nil); !errors.As(err, &se) || se.Problems[0].Line == 0 {
		t.Errorf("ParseSpecFile of bad YAML: %v, want a *SpecError with a line", err)
	}

	s := baseSpec()
	s.Files = []cloudconfig.WriteFile{{Path: "/etc/systemd/system/other.service", Content: "[Service]\nType=oneshot\nExecStop=/bin/true\n"}}
	var le *udkit.LintError
	if _, _, err := udkit.Render(s, udkit.Options{}); !errors.As(err, &le) || len(le.Diagnostics) == 0 {
		t.Errorf("Render: %v, want a *LintError", err)
	}
	if _, _, err := udkit.Render(s, udkit.Options{Ignore: []string{"remain-after-exit", "install-wanted-by"}}); err != nil {
		t.Errorf("Render with the errors ignored: %v", err)
	}
	if _, _, err := udkit.Render(s, udkit.Options{Ignore: []string{"no-such-rule"}}); err == nil || !strings.Contains(err.Error(), `unknown rule "no-such-rule"`) {
		t.Errorf("unknown rule id: %v", err)
	}

	big := baseSpec()
	big.Files = []cloudconfig.WriteFile{{Path: "/etc/big", Content: strings.Repeat("x", 20000)}}
	var sz *userdata.SizeError
	if _, _, err := udkit.Render(big, udkit.Options{Gzip: udkit.GzipNever}); !errors.As(err, &sz) {
		t.Errorf("Render over the limit: %v, want a *userdata.SizeError", err)
	}
}

// A spec file without an output section gives the zero Options, so Go and
// YAML render the same spec to the same bytes.
func TestSpecFileDefaultsAreZeroOptions(t *testing.T) {
	sf, err := udkit.ParseSpecFile([]byte("name: app\nderegister:\n  command: [/usr/local/bin/leave]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sf.Output, udkit.Options{}) {
		t.Errorf("defaults %+v, want the zero Options", sf.Output)
	}
	var m udkit.GzipMode
	if err := m.UnmarshalText([]byte("never")); err != nil || m != udkit.GzipNever {
		t.Errorf("GzipMode.UnmarshalText: %v, %v", m, err)
	}
}

// An info finding that does not apply is not shown: a spec without a
// registry gets no advice about registry expiry.
func TestNoRegistryAdviceWithoutRegistry(t *testing.T) {
	s := baseSpec()
	s.Mounts = []string{"/mnt/shared"}
	_, diags, err := udkit.Render(s, udkit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range diags {
		if d.Rule == "mounts-required" {
			found = true
		}
		if strings.Contains(d.Message, "registry") {
			t.Errorf("advice about a registry on a spec without one: %s", d)
		}
	}
	if !found {
		t.Error("no mounts-required finding")
	}
}
