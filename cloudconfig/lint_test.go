package cloudconfig_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
)

const deadlockUnit = "[Unit]\nDescription=x\nAfter=network-online.target\nAfter=cloud-final.service\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\nExecStop=/usr/local/sbin/deregister\n"

// zeros returns n gz+b64 entries that inflate to 1 MiB of zeros each.
func zeros(t testing.TB, n int) []cloudconfig.WriteFile {
	z := gzipped(t, "", make([]byte, 1<<20))
	var files []cloudconfig.WriteFile
	for i := 0; i < n; i++ {
		z.Path = fmt.Sprintf("/var/lib/app/zeros%d", i)
		files = append(files, z)
	}
	return files
}

// gzSecret returns a gz+b64 entry holding an AWS access key id.
func gzSecret(t testing.TB) cloudconfig.WriteFile {
	return gzipped(t, "/root/.aws/credentials", []byte("aws_access_key_id = AKIAABCDEFGHIJKLMNOP\n"+strings.Repeat("#\n", 4096)))
}

func TestLint(t *testing.T) {
	hook := cloudconfig.WriteFile{Path: "/etc/systemd/system/hook.service", Content: hookUnit}
	late := cloudconfig.WriteFile{Path: "/etc/systemd/system/late.service", Content: deadlockUnit}
	A, S := cloudconfig.Argv, cloudconfig.Shell
	tests := []struct {
		name string
		cfg  cloudconfig.Config
		want []string
	}{
		{"seed scenario is clean", *seedScenario(), nil},
		{"enable hook without --now, argv", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{hook}, Runcmd: []cloudconfig.Command{A("systemctl", "daemon-reload"), A("systemctl", "enable", "hook.service")}}, []string{
			"runcmd[1]: enables the stop hook hook.service without starting it: ExecStop runs only for a started unit, so the first shutdown after launch deregisters nothing; use systemctl enable --now --no-block hook.service [systemctl-enable-now]",
		}},
		{"enable hook without --now, shell, no suffix", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{hook}, Runcmd: []cloudconfig.Command{S("systemctl daemon-reload && sudo systemctl enable hook")}}, []string{
			"runcmd[0]: enables the stop hook hook.service without starting it: ExecStop runs only for a started unit, so the first shutdown after launch deregisters nothing; use systemctl enable --now --no-block hook.service [systemctl-enable-now]",
		}},
		{"enable then start separately", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{hook}, Runcmd: []cloudconfig.Command{A("systemctl", "daemon-reload"), A("systemctl", "enable", "hook.service"), A("systemctl", "start", "--no-block", "hook.service")}}, nil},
		{"enable unknown unit without --now", cloudconfig.Config{Runcmd: []cloudconfig.Command{A("/bin/systemctl", "enable", "nginx")}}, []string{
			"warning: runcmd[0]: enables nginx.service without starting it; it starts only at the next boot: add --now (and --no-block in runcmd) [systemctl-enable-now]",
		}},
		{"blocking start of a late unit", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{late}, Runcmd: []cloudconfig.Command{S("systemctl daemon-reload\nsystemctl enable --now late.service")}}, []string{
			"runcmd[0]: systemctl enable --now late.service waits for late.service to start, but late.service is ordered After=cloud-final.service and runcmd runs inside cloud-final.service: boot hangs for ever; add --no-block [systemctl-no-block]",
		}},
		{"blocking start, other unit", cloudconfig.Config{Runcmd: []cloudconfig.Command{A("systemctl", "restart", "nginx.service"), S("FOO=1 systemctl --quiet start 'my app.service' # comment"), A("systemctl", "--no-block", "start", "ok.service"), A("systemctl", "--user", "start", "u.service")}}, []string{
			"warning: runcmd[0]: systemctl restart nginx.service blocks runcmd (inside cloud-final.service) until nginx.service has started, and hangs for ever if nginx.service is ordered after cloud-final.service or multi-user.target; add --no-block [systemctl-no-block]",
			"warning: runcmd[1]: systemctl --quiet start my app.service blocks runcmd (inside cloud-final.service) until my app.service has started, and hangs for ever if my app.service is ordered after cloud-final.service or multi-user.target; add --no-block [systemctl-no-block]",
		}},
		{"bootcmd start is not runcmd", cloudconfig.Config{Bootcmd: []cloudconfig.Command{A("systemctl", "start", "x.service")}}, nil},
		{"no daemon-reload", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{hook}, Runcmd: []cloudconfig.Command{A("systemctl", "enable", "--now", "--no-block", "hook.service")}}, []string{
			"warning: runcmd[0]: hook.service is written by write_files but systemd has not reloaded its unit files; run [systemctl, daemon-reload] before this [systemctl-daemon-reload]",
		}},
		{"secrets", cloudconfig.Config{
			WriteFiles: []cloudconfig.WriteFile{
				{Path: "/root/.aws/credentials", Content: "[default]\naws_access_key_id = AKIAABCDEFGHIJKLMNOP\naws_secret_access_key = abcdefghijABCDEFGHIJ0123456789abcdefghij\n"},
				{Path: "/etc/ssl/private/key.pem", Content: "LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0KeAo=", Encoding: "b64"},
			},
			Runcmd: []cloudconfig.Command{A("git", "clone", "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.example/x")},
		}, []string{
			"warning: write_files[0].content: looks like an AWS access key id; user data is readable by every process on the instance (metadata service, /var/lib/cloud): fetch secrets at boot from a secret store instead [secret]",
			"warning: write_files[0].content: looks like an AWS secret access key; user data is readable by every process on the instance (metadata service, /var/lib/cloud): fetch secrets at boot from a secret store instead [secret]",
			"warning: write_files[1].content: looks like a private key; user data is readable by every process on the instance (metadata service, /var/lib/cloud): fetch secrets at boot from a secret store instead [secret]",
			"warning: runcmd[0][2]: looks like a GitHub token; user data is readable by every process on the instance (metadata service, /var/lib/cloud): fetch secrets at boot from a secret store instead [secret]",
		}},
		// Lint inflates at most 4 MiB of gzip content per config: after
		// three 1 MiB entries the secret is found, after four it is not
		// looked for (Validate reports the entry).
		{"gzip secret within the budget", cloudconfig.Config{WriteFiles: append(zeros(t, 3), gzSecret(t))}, []string{
			"warning: write_files[3].content: looks like an AWS access key id; user data is readable by every process on the instance (metadata service, /var/lib/cloud): fetch secrets at boot from a secret store instead [secret]",
		}},
		{"gzip secret past the budget", cloudconfig.Config{WriteFiles: append(zeros(t, 4), gzSecret(t))}, nil},
		{"owner and volatile path", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/run/app/env", Owner: "app:app"}, {Path: "/var/lib/app/env", Owner: "app", Defer: true}, {Path: "/etc/x", Owner: "root:adm"}}}, []string{
			"warning: write_files[0].path: /run/app/env does not survive a reboot, but write_files runs only once per instance; use a path under /etc or /var/lib [path-volatile]",
			"warning: write_files[0].owner: write_files runs before cloud-init creates users, so owner app:app may not exist yet; add defer: true [owner-before-users]",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range cloudconfig.Lint(&tt.cfg) {
				s := d.Path + ": " + d.Message + " [" + d.Rule + "]"
				if d.Severity == diag.Warning {
					s = "warning: " + s
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lint mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Secrets in keys kept verbatim are found too, with their YAML path.
func TestLintSecretsInExtra(t *testing.T) {
	c, err := cloudconfig.Parse([]byte("#cloud-config\nruncmd:\n  - [echo, 5, AKIAABCDEFGHIJKLMNOP]\nusers:\n  - name: a\n    ssh_keys:\n      rsa_private: |\n        -----BEGIN RSA PRIVATE KEY-----\n        x\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range cloudconfig.Lint(c) {
		got = append(got, d.Path+" "+d.Rule)
	}
	want := []string{"runcmd[0][2] secret", "users[0].ssh_keys.rsa_private secret"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Commands in a runcmd kept verbatim (because an entry does not fit) are
// linted too, with their own indexes.
func TestLintMisfitRuncmd(t *testing.T) {
	c, err := cloudconfig.Parse([]byte("#cloud-config\nruncmd:\n  - 42\n  - [sleep, 5]\n  - systemctl start app\n  - [systemctl, enable, other]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Lookup("runcmd") == nil {
		t.Fatal("runcmd fitted the model; the test needs it verbatim")
	}
	var got []string
	for _, d := range cloudconfig.Lint(c) {
		got = append(got, d.Path+" "+d.Rule)
	}
	want := []string{"runcmd[2] systemctl-no-block", "runcmd[3] systemctl-enable-now"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
