package udkit_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/userdata"
	"gopkg.in/yaml.v3"
)

func baseSpec() *udkit.Spec {
	return &udkit.Spec{
		Name:       "app",
		Deregister: &udkit.Action{Command: []string{"/usr/local/bin/leave"}},
	}
}

func TestBuildSpecErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *udkit.Spec)
		want   []string // substrings of the error, in order
	}{
		{"empty name", func(s *udkit.Spec) { s.Name = "" }, []string{`name: "" is not a usable name`}},
		{"name with slash", func(s *udkit.Spec) { s.Name = "a/b" }, []string{`name: "a/b"`}},
		{"no deregister", func(s *udkit.Spec) { s.Deregister = nil }, []string{"deregister: missing; give the command or script"}},
		{"empty deregister", func(s *udkit.Spec) { s.Deregister = &udkit.Action{} }, []string{"deregister: give a command or a script"}},
		{"both command and script", func(s *udkit.Spec) { s.Deregister.Script = "#!/bin/sh\n" }, []string{"deregister: give a command or a script, not both"}},
		{"relative command", func(s *udkit.Spec) { s.Deregister.Command = []string{"leave"} }, []string{`deregister.command[0]: "leave" must be a normalized absolute path`}},
		{"path with command", func(s *udkit.Spec) { s.Deregister.Path = "/x" }, []string{"deregister.path: only a script is written"}},
		{"script without #!", func(s *udkit.Spec) { s.Deregister = &udkit.Action{Script: "curl x\n"} }, []string{"deregister.script: must start with an interpreter line"}},
		{"script under /tmp", func(s *udkit.Spec) { s.Deregister = &udkit.Action{Script: "#!/bin/sh\n", Path: "/tmp/leave"} }, []string{`deregister.path: "/tmp/leave" is under /tmp`}},
		{"script on the mount", func(s *udkit.Spec) {
			s.Mounts = []string{"/mnt/shared"}
			s.Deregister = &udkit.Action{Script: "#!/bin/sh\n", Path: "/mnt/shared/leave"}
		}, []string{`deregister.path: "/mnt/shared/leave" lies on the mount /mnt/shared`}},
		{"same script path", func(s *udkit.Spec) {
			s.Deregister = &udkit.Action{Script: "#!/bin/sh\n", Path: "/usr/local/sbin/x"}
			s.Register = &udkit.Action{Script: "#!/bin/sh\n", Path: "/usr/local/sbin/x"}
		}, []string{"register.path: register and deregister scripts would both be written to /usr/local/sbin/x"}},
		{"every boot deregister", func(s *udkit.Spec) { s.Deregister.EveryBoot = true }, []string{"deregister.every_boot: only register"}},
		{"relative mount", func(s *udkit.Spec) { s.Mounts = []string{"mnt"} }, []string{`mounts[0]: "mnt" must be a normalized absolute path`}},
		{"bad env name", func(s *udkit.Spec) { s.Environment = []udkit.EnvVar{{Name: "A-B", Value: "x"}} }, []string{`environment.A-B: "A-B" is not a variable name`}},
		{"env twice", func(s *udkit.Spec) { s.Environment = []udkit.EnvVar{{Name: "A", Value: "x"}, {Name: "A", Value: "y"}} }, []string{"environment.A: set twice"}},
		{"env newline", func(s *udkit.Spec) { s.Environment = []udkit.EnvVar{{Name: "A", Value: "x\nB=y"}} }, []string{"environment.A: the value holds a quote, a backslash, a control character"}},
		{"env backslash", func(s *udkit.Spec) { s.Environment = []udkit.EnvVar{{Name: "A", Value: `a\b`}} }, []string{"environment.A: the value holds"}},
		{"timeout too long", func(s *udkit.Spec) { s.StopTimeout = 2 * time.Minute }, []string{"stop_timeout: 2m0s: give a whole number of seconds from 1s to 1m30s"}}, {"timeout fraction", func(s *udkit.Spec) { s.StopTimeout = 1500 * time.Millisecond }, []string{"stop_timeout: 1.5s"}},
		{"bad user", func(s *udkit.Spec) { s.User = "a b" }, []string{`user: "a b" is not a user name`}},
		{"file on the mount", func(s *udkit.Spec) {
			s.Mounts = []string{"/mnt/shared"}
			s.Files = []cloudconfig.WriteFile{{Path: "/mnt/shared/conf", Content: "x"}}
		}, []string{"files[0].defer: /mnt/shared/conf lies on the mount /mnt/shared"}},
		{"part without type", func(s *udkit.Spec) { s.Parts = []udkit.Part{{Body: []byte("x")}} }, []string{"parts[0].type: is empty"}},
		{"registry and deregister", func(s *udkit.Spec) { s.Registry = goodRegistry() }, []string{"registry: the registry hook makes the register and deregister scripts"}},
		{"registry bad url", func(s *udkit.Spec) {
			s.Deregister = nil
			s.Registry = goodRegistry()
			s.Registry.URL = "ftp://x"
		}, []string{`registry: script spec: URL "ftp://x"`}},
		{"registry short stop timeout", func(s *udkit.Spec) {
			s.Deregister = nil
			s.Registry = goodRegistry()
			s.StopTimeout = 20 * time.Second
		}, []string{"stop_timeout: 20s leaves the deregister script's 20s request no time"}},
		{"registry ca without file", func(s *udkit.Spec) {
			s.Deregister = nil
			s.Registry = goodRegistry()
			s.Registry.CA = "pem"
			s.Registry.URL = "https://192.0.2.1"
		}, []string{"registry.ca: given without ca_file"}},
		{"registry token with newline", func(s *udkit.Spec) {
			s.Deregister = nil
			s.Registry = goodRegistry()
			s.Registry.JoinToken = "udkj_x\nA=b"
		}, []string{"registry.join_token: holds white space"}},
		{"several problems", func(s *udkit.Spec) {
			s.Name = ""
			s.Mounts = []string{"x"}
		}, []string{"invalid spec (2 problems):", "\n  name: ", "\n  mounts[0]: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			tt.change(s)
			b, err := udkit.Build(s)
			if err == nil {
				t.Fatalf("built %v", b.Document)
			}
			var se *udkit.SpecError
			if !errors.As(err, &se) {
				t.Errorf("error %T, want *udkit.SpecError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "udkit: invalid spec") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func goodRegistry() *udkit.RegistryHook {
	return &udkit.RegistryHook{URL: "http://192.0.2.10:8180", Cluster: "web", JoinTokenFile: "/etc/udkit/join-token"}
}

// A registry hook writes the registry's scripts and registers from runcmd
// (or ExecStart= with EveryBoot).
func TestBuildRegistry(t *testing.T) {
	for _, every := range []bool{false, true} {
		s := &udkit.Spec{Name: "web", Registry: goodRegistry()}
		s.Registry.EveryBoot = every
		s.Registry.JoinToken = "udkj_abc"
		b, err := udkit.Build(s)
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, f := range b.CloudConfig.WriteFiles {
			files = append(files, f.Path+" "+f.Permissions)
		}
		want := "/etc/systemd/system/web-deregister.service 0644\n/etc/udkit/join-token 0600\n/usr/local/sbin/web-register 0755\n/usr/local/sbin/web-deregister 0755"
		if got := strings.Join(files, "\n"); got != want {
			t.Errorf("every_boot=%v: write_files\n%s\nwant\n%s", every, got, want)
		}
		start := b.Hook.Unit.Values("Service", "ExecStart")
		runcmd := runcmdLines(b.CloudConfig)
		if every {
			if start[0] != "/usr/local/sbin/web-register" || len(runcmd) != 2 {
				t.Errorf("every boot: ExecStart=%q runcmd %q", start, runcmd)
			}
		} else if start[0] != "/bin/true" || runcmd[len(runcmd)-1] != "'/usr/local/sbin/web-register'" {
			t.Errorf("once: ExecStart=%q runcmd %q", start, runcmd)
		}
		if s.Registry == nil || s.Register != nil {
			t.Error("Build modified the spec")
		}
	}
}

func TestBuildNilSpec(t *testing.T) {
	if _, err := udkit.Build(nil); err == nil {
		t.Fatal("nil spec accepted")
	}
}

func runcmdLines(c *cloudconfig.Config) []string {
	var out []string
	for _, r := range c.Runcmd {
		out = append(out, r.String())
	}
	return out
}

// Build writes the hook, environment and scripts where the docs say, arms
// the hook before registering, and registers in the hook's ExecStart= for
// EveryBoot.
func TestBuildShapes(t *testing.T) {
	tests := []struct {
		name       string
		change     func(s *udkit.Spec)
		files      []string // path mode, in order
		runcmd     []string
		execStart  string
		mergeTypes []string
	}{
		{
			name:       "deregister only",
			change:     func(*udkit.Spec) {},
			files:      []string{"/etc/systemd/system/app-deregister.service 0644"},
			runcmd:     []string{"'systemctl' 'daemon-reload'", "'systemctl' 'enable' '--now' '--no-block' 'app-deregister.service'"},
			execStart:  "/bin/true",
			mergeTypes: []string{""},
		},
		{
			name: "register once with environment",
			change: func(s *udkit.Spec) {
				s.Register = &udkit.Action{Command: []string{"/opt/app/bin/join", "--cluster", "blue"}}
				s.Environment = []udkit.EnvVar{{Name: "CLUSTER", Value: "blue"}}
			},
			files: []string{"/etc/systemd/system/app-deregister.service 0644", "/etc/default/app 0600"},
			runcmd: []string{"'systemctl' 'daemon-reload'", "'systemctl' 'enable' '--now' '--no-block' 'app-deregister.service'",
				`'/bin/sh' '-c' 'set -a; . /etc/default/app; exec "$0" "$@"' '/opt/app/bin/join' '--cluster' 'blue'`},
			execStart:  "/bin/true",
			mergeTypes: []string{""},
		},
		{
			name: "register once as a user",
			change: func(s *udkit.Spec) {
				s.Register = &udkit.Action{Command: []string{"/opt/app/bin/join"}}
				s.User = "app"
			},
			files:      []string{"/etc/systemd/system/app-deregister.service 0644"},
			runcmd:     []string{"'systemctl' 'daemon-reload'", "'systemctl' 'enable' '--now' '--no-block' 'app-deregister.service'", "'runuser' '-u' 'app' '--' '/opt/app/bin/join'"},
			execStart:  "/bin/true",
			mergeTypes: []string{""},
		},
		{
			name: "register every boot with scripts",
			change: func(s *udkit.Spec) {
				s.Register = &udkit.Action{Script: "#!/bin/sh\njoin\n", EveryBoot: true}
				s.Deregister = &udkit.Action{Script: "#!/bin/sh\nleave\n"}
			},
			files:      []string{"/etc/systemd/system/app-deregister.service 0644", "/usr/local/sbin/app-register 0755", "/usr/local/sbin/app-deregister 0755"},
			runcmd:     []string{"'systemctl' 'daemon-reload'", "'systemctl' 'enable' '--now' '--no-block' 'app-deregister.service'"},
			execStart:  "/usr/local/sbin/app-register",
			mergeTypes: []string{""},
		},
		{
			name: "extra cloud-config and parts",
			change: func(s *udkit.Spec) {
				s.CloudConfig = &cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Argv("mkdir", "/srv/app")}, WriteFiles: []cloudconfig.WriteFile{{Path: "/etc/app.conf", Content: "x\n"}}}
				s.Files = []cloudconfig.WriteFile{{Path: "/etc/app2.conf", Content: "y\n", Permissions: "0640"}}
				s.Parts = []udkit.Part{
					{ContentType: userdata.ContentCloudConfig, Filename: "more.yaml", Body: []byte("#cloud-config\npackages: [jq]\n")},
					{ContentType: userdata.ContentCloudConfig, Filename: "mine.yaml", MergeType: "dict(recurse_array)+list(append)", Body: []byte("#cloud-config\npackages: [curl]\n")},
					{ContentType: userdata.ContentShellScript, Filename: "zz.sh", Body: []byte("#!/bin/sh\ntrue\n")},
				}
			},
			files:      []string{"/etc/app.conf ", "/etc/systemd/system/app-deregister.service 0644", "/etc/app2.conf 0640"},
			runcmd:     []string{"'mkdir' '/srv/app'", "'systemctl' 'daemon-reload'", "'systemctl' 'enable' '--now' '--no-block' 'app-deregister.service'"},
			execStart:  "/bin/true",
			mergeTypes: []string{userdata.MergeAppend, userdata.MergeAppend, "dict(recurse_array)+list(append)", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			tt.change(s)
			b, err := udkit.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, f := range b.CloudConfig.WriteFiles {
				files = append(files, f.Path+" "+f.Permissions)
			}
			if strings.Join(files, "\n") != strings.Join(tt.files, "\n") {
				t.Errorf("write_files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(tt.files, "\n"))
			}
			if got := runcmdLines(b.CloudConfig); strings.Join(got, "\n") != strings.Join(tt.runcmd, "\n") {
				t.Errorf("runcmd:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.runcmd, "\n"))
			}
			if got := b.Hook.Unit.Values("Service", "ExecStart"); len(got) != 1 || got[0] != tt.execStart {
				t.Errorf("ExecStart=%q, want %q", got, tt.execStart)
			}
			var merges []string
			for _, p := range b.Document.Parts {
				merges = append(merges, p.MergeType)
			}
			if strings.Join(merges, "|") != strings.Join(tt.mergeTypes, "|") {
				t.Errorf("merge types %q, want %q", merges, tt.mergeTypes)
			}
			for _, d := range b.Diagnostics {
				if d.Severity >= udkit.Warning {
					t.Errorf("unexpected finding: %s", d)
				}
			}
		})
	}
}

// Build does not modify the spec's extra cloud-config.
func TestBuildKeepsSpec(t *testing.T) {
	s := baseSpec()
	s.CloudConfig = &cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Argv("true")}}
	before, _ := s.CloudConfig.Marshal()
	if _, err := udkit.Build(s); err != nil {
		t.Fatal(err)
	}
	after, _ := s.CloudConfig.Marshal()
	if string(before) != string(after) {
		t.Errorf("spec's cloud-config changed:\n%s\nto\n%s", before, after)
	}
}

// A bundle with lint errors is refused unless the caller accepts them,
// and the errors name the part and the place.
func TestLintErrorsRefused(t *testing.T) {
	s := baseSpec()
	// A second stop hook without RemainAfterExit= never runs its ExecStop.
	s.Files = []cloudconfig.WriteFile{{Path: "/etc/systemd/system/other.service", Content: "[Unit]\nDescription=x\n\n[Service]\nType=oneshot\nExecStart=/bin/true\nExecStop=/bin/echo bye\n\n[Install]\nWantedBy=multi-user.target\n"}}
	b, err := udkit.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Errors()) == 0 {
		t.Fatalf("no errors found; diagnostics: %v", b.Diagnostics)
	}
	_, err = b.Encode(udkit.Options{})
	var le *udkit.LintError
	if !errors.As(err, &le) {
		t.Fatalf("Encode: %v, want a *udkit.LintError", err)
	}
	want := `part 1 (text/cloud-config "cloud-config"): write_files[1].content: unit other.service line `
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Options.AcceptErrors") {
		t.Errorf("error %q lacks %q or the way out", err, want)
	}
	data, diags, err := udkit.Render(s, udkit.Options{AcceptErrors: true})
	if err != nil || len(data) == 0 {
		t.Fatalf("accepted render: %v", err)
	}
	if len(diags) == 0 {
		t.Error("accepted render returned no diagnostics")
	}
}

// A document over the limit is a *userdata.SizeError, not a truncation;
// the zero Options gzip it when that makes it fit (as a spec file does).
func TestRenderLimit(t *testing.T) {
	s := baseSpec()
	s.Files = []cloudconfig.WriteFile{{Path: "/etc/big", Content: strings.Repeat("0123456789abcdef\n", 2000)}}
	if _, _, err := udkit.Render(s, udkit.Options{}); err != nil {
		t.Fatalf("zero Options (gzip auto): %v", err)
	}
	_, _, err := udkit.Render(s, udkit.Options{Gzip: udkit.GzipNever})
	var se *userdata.SizeError
	if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), "udkit: ") {
		t.Fatalf("got %v, want a *userdata.SizeError with the udkit prefix", err)
	}
	if _, _, err := udkit.Render(s, udkit.Options{Limit: -1}); err != nil {
		t.Fatalf("no limit: %v", err)
	}
}

// Build appends its write_files and runcmd entries to the caller's typed
// lists directly; the result is what cloudconfig.Merge gives, which Build
// uses when a list is kept in Extra.
func TestBuildAppendIsMerge(t *testing.T) {
	typed := baseSpec()
	typed.CloudConfig = &cloudconfig.Config{
		WriteFiles:    []cloudconfig.WriteFile{{Path: "/etc/app.conf", Content: "on\n", Permissions: "0640"}},
		Runcmd:        []cloudconfig.Command{cloudconfig.Argv("echo", "yes"), cloudconfig.Shell("echo $HOME")},
		PackageUpdate: cloudconfig.Bool(true),
		FinalMessage:  "done",
	}
	viaMerge := baseSpec()
	viaMerge.CloudConfig = typed.CloudConfig.Clone()
	viaMerge.CloudConfig.Runcmd = nil
	var runcmd yaml.Node
	if err := yaml.Unmarshal([]byte("- [echo, 'yes']\n- echo $HOME\n"), &runcmd); err != nil {
		t.Fatal(err)
	}
	// Kept in Extra, as Parse keeps a list that does not fit.
	viaMerge.CloudConfig.Extra = append(viaMerge.CloudConfig.Extra, cloudconfig.Field{Key: "runcmd", Value: runcmd.Content[0]})
	a, err := udkit.Build(typed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := udkit.Build(viaMerge)
	if err != nil {
		t.Fatal(err)
	}
	if ab, bb := a.Document.Parts[0].Body, b.Document.Parts[0].Body; !bytes.Equal(ab, bb) {
		t.Errorf("append and Merge differ:\n%s\n---\n%s", ab, bb)
	}
	if len(typed.CloudConfig.WriteFiles) != 1 || len(typed.CloudConfig.Runcmd) != 2 {
		t.Error("Build modified the spec's cloud-config")
	}
}
