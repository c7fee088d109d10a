package udkit_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/internal/realtools"
)

// shellifyScript turns the runcmd of a cloud-config (on stdin) into the
// script cloud-init's runcmd module writes, with cloud-init's own code.
const shellifyScript = `
import sys, yaml
from cloudinit import util
cfg = yaml.safe_load(sys.stdin.read())
sys.stdout.write(util.shellify(cfg["runcmd"]))
`

// runcmdHarness runs a runcmd script in a private mount namespace, where
// /etc/default is a fresh tmpfs holding the environment file udkit wrote,
// with systemctl replaced by a stub that records its arguments. $1 the
// script, $2 the environment file's name, $3 its content file, $4 the stub
// directory.
const runcmdHarness = `
set -eu
mount -t tmpfs -o mode=0755 udkit-test /etc/default
cp "$3" "/etc/default/$2"
chmod 0600 "/etc/default/$2"
PATH="$4:$PATH" /bin/sh "$1"
`

// The runcmd lines udkit writes do what they say when cloud-init's own
// runcmd module turns them into a script and /bin/sh runs it: systemctl
// reloads and arms the hook, and the registration runs with the
// environment file sourced, as the spec's user, with its arguments intact
// (spaces, quotes, '$' and '%' included).
func TestRuncmdRunsForReal(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit")
	realtools.RequirePythonModule(t, "yaml")
	if os.Geteuid() != 0 {
		realtools.Missing(t, "the runcmd test mounts a tmpfs on /etc/default in a private namespace and needs root")
	}
	realtools.Require(t, "unshare")
	realtools.Require(t, "runuser")

	args := []string{"a b", `it's "quoted"`, "$HOME", "100%", "*"}
	tests := []struct {
		name    string
		user    string
		env     []udkit.EnvVar
		wantEnv []string
		wantUID string
	}{
		{name: "plain", wantUID: "0"},
		{name: "environment", env: []udkit.EnvVar{{Name: "CLUSTER", Value: "blue green"}, {Name: "URL", Value: "http://192.0.2.10:8080/x?y=$z"}}, wantEnv: []string{"CLUSTER=blue green", "URL=http://192.0.2.10:8080/x?y=$z"}, wantUID: "0"},
		{name: "user", user: "nobody", wantUID: "65534"},
		{name: "environment and user", user: "nobody", env: []udkit.EnvVar{{Name: "CLUSTER", Value: "blue"}}, wantEnv: []string{"CLUSTER=blue"}, wantUID: "65534"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A directory everyone may read and write, for the user case.
			dir, err := os.MkdirTemp("", "udkit-runcmd")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "register.out")
			register := filepath.Join(dir, "register")
			writeExec(t, register, "#!/bin/sh\n{ id -u; for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done; env | grep -E '^(CLUSTER|URL)=' | sort; } >"+out+"\n")
			stubs := filepath.Join(dir, "bin")
			if err := os.Mkdir(stubs, 0o755); err != nil {
				t.Fatal(err)
			}
			calls := filepath.Join(dir, "systemctl.calls")
			writeExec(t, filepath.Join(stubs, "systemctl"), "#!/bin/sh\necho \"$*\" >>"+calls+"\n")

			spec := &udkit.Spec{
				Name:        "udkit-runcmd-test",
				Register:    &udkit.Action{Command: append([]string{register}, args...)},
				Deregister:  &udkit.Action{Command: []string{"/bin/true"}},
				User:        tt.user,
				Environment: tt.env,
			}
			b, err := udkit.Build(spec)
			if err != nil {
				t.Fatal(err)
			}
			cc := b.Document.Parts[0].Body
			envFile := filepath.Join(dir, "env")
			envContent := ""
			for _, f := range b.CloudConfig.WriteFiles {
				if f.Path == "/etc/default/udkit-runcmd-test" {
					envContent = f.Content
				}
			}
			if err := os.WriteFile(envFile, []byte(envContent), 0o600); err != nil {
				t.Fatal(err)
			}

			py := exec.Command(realtools.Python, "-c", shellifyScript)
			py.Stdin = bytes.NewReader(cc)
			script, err := py.Output()
			if err != nil {
				t.Fatalf("cloud-init's shellify: %v", err)
			}
			scriptFile := filepath.Join(dir, "runcmd")
			if err := os.WriteFile(scriptFile, script, 0o700); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("unshare", "-m", "--propagation", "private", "/bin/sh", "-c", runcmdHarness, "sh", scriptFile, "udkit-runcmd-test", envFile, stubs)
			if outb, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("running the runcmd script: %v\n%s\nscript:\n%s", err, outb, script)
			}

			gotCalls, _ := os.ReadFile(calls)
			wantCalls := "daemon-reload\nenable --now --no-block udkit-runcmd-test-deregister.service\n"
			if string(gotCalls) != wantCalls {
				t.Errorf("systemctl calls:\n%s\nwant:\n%s", gotCalls, wantCalls)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the registration did not run: %v\nscript:\n%s", err, script)
			}
			want := []string{tt.wantUID}
			for _, a := range args {
				want = append(want, "arg="+a)
			}
			want = append(want, tt.wantEnv...)
			if strings.TrimSpace(string(got)) != strings.Join(want, "\n") {
				t.Errorf("the registration saw:\n%s\nwant:\n%s\nscript:\n%s", got, strings.Join(want, "\n"), script)
			}
		})
	}
}

func writeExec(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}
