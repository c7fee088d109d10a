//go:build e2e && linux

package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/udkit/udkit"
)

// The lint severity scale checked on real boots: for each document, the
// error-level findings of udkit.Lint must be exactly those a boot shows
// (a marker the document promises is missing), and a document with only
// warnings must do all it says. The documents are small probes with the
// shapes of the real-world corpus (testdata/realworld): each promise is a
// marker file under /var/log/judge.

// judgeCase is one probe document.
type judgeCase struct {
	name string
	doc  string
	// errors are the rule ids udkit lint must report at severity error.
	errors []string
	// present and absent are the markers (/var/log/judge/NAME) a boot
	// must and must not leave.
	present, absent []string
	// check looks at anything else.
	check func(m *machine) string
}

const jdir = "/var/log/judge"

func touch(name string) string { return "mkdir -p " + jdir + " && touch " + jdir + "/" + name }

func judgeCases() []judgeCase {
	mimeHead := "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
	part := func(headers, body string) string { return "--b\n" + headers + "\n\n" + body + "\n" }
	return []judgeCase{
		{
			name: "parts-typed-and-broken",
			doc: mimeHead +
				// typed by its Content-Type, no #cloud-config line; /tmp and
				// an unquoted octal mode: warnings, and they work.
				part("Content-Type: text/cloud-config", "write_files:\n  - path: /tmp/judge-in\n    content: from-tmp\n  - path: /etc/judge-perm\n    permissions: 0640\n    content: x\nruncmd:\n  - [sh, -c, '"+touch("typed")+" && cp /tmp/judge-in "+jdir+"/tmp-copy']") +
				// no #!: the kernel refuses to execute it.
				part("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"noshebang.sh\"", touch("noshebang")) +
				// two names that clean_filename makes one.
				part("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"c/d.sh\"", "#!/bin/sh\n"+touch("collide-slash")) +
				part("Content-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"c_d.sh\"", "#!/bin/sh\n"+touch("collide-underscore")) +
				// two Content-Type headers: the first (text/plain) wins.
				part("Content-Type: text/plain\nContent-Type: text/cloud-config", "runcmd:\n  - [sh, -c, '"+touch("dupct")+"']") +
				// a message/rfc822 part: the boothook inside runs twice.
				part("Content-Type: message/rfc822", "Content-Type: text/cloud-boothook\n\n#cloud-boothook\n#!/bin/sh\nmkdir -p "+jdir+" && echo run >> "+jdir+"/boothook-runs") +
				"--b--\n" +
				"#!/bin/sh\n" + touch("epilogue") + "\n",
			errors:  []string{"shell-no-shebang", "filename-collision", "duplicate-content-type", "ignored-part", "epilogue"},
			present: []string{"typed", "tmp-copy"},
			absent:  []string{"noshebang", "dupct", "epilogue"},
			check: func(m *machine) string {
				var probs []string
				a, b := exists(m, "collide-slash"), exists(m, "collide-underscore")
				if a == b {
					probs = append(probs, fmt.Sprintf("colliding scripts: slash ran %v, underscore ran %v; want exactly one", a, b))
				}
				if st, err := os.Stat(m.root + "/etc/judge-perm"); err != nil || st.Mode().Perm() != 0o640 {
					probs = append(probs, fmt.Sprintf("/etc/judge-perm: %v %v, want mode 0640 (unquoted 0640 is octal in YAML 1.1)", st, err))
				}
				if n := strings.Count(m.file(jdir+"/boothook-runs"), "run"); n != 2 {
					probs = append(probs, fmt.Sprintf("boothook inside message/rfc822 ran %d times, want 2", n))
				}
				return strings.Join(probs, "; ")
			},
		},
		{
			name:   "bom",
			doc:    "\ufeff#cloud-config\nruncmd:\n  - [sh, -c, '" + touch("bom") + "']\n",
			errors: []string{"bom"},
			absent: []string{"bom"},
		},
		{
			name: "late-mime-version",
			doc: "Content-Type: multipart/mixed; boundary=b\nX-Notes: " + strings.Repeat("x", 4200) + "\nMIME-Version: 1.0\n\n" +
				part("Content-Type: text/x-shellscript", "#!/bin/sh\n"+touch("late")) + "--b--\n",
			errors: []string{"mime-version-late"},
			absent: []string{"late"},
		},
		{
			name:   "multipart-no-boundary",
			doc:    "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n" + part("Content-Type: text/x-shellscript", "#!/bin/sh\n"+touch("noboundary")) + "--b--\n",
			errors: []string{"multipart-no-boundary"},
			absent: []string{"noboundary"},
		},
		{
			// Vagrant's layout: no close delimiter, an empty phantom part,
			// CRLF part headers after LF top headers: warnings only.
			name:    "vagrant-phantom-mixed",
			doc:     "Content-Type: multipart/mixed; boundary=Boundary_x\nMIME-Version: 1.0\n\n--Boundary_x\r\nContent-Type: text/cloud-config\r\n\r\n#cloud-config\nruncmd:\n  - [sh, -c, '" + touch("vagrant") + "']\n\n--Boundary_x\n",
			present: []string{"vagrant"},
		},
		{
			name: "archive",
			doc: "#cloud-config-archive\n- type: text/x-shellscript\n  filename: 10-from-archive.sh\n  content: |\n    #!/bin/sh\n    " + touch("archive-script") + "\n" +
				"- |\n  runcmd:\n    - [sh, -c, '" + touch("archive-bare") + "']\n",
			present: []string{"archive-script", "archive-bare"},
		},
		{
			name:    "jinja",
			doc:     "## template: jinja\n#cloud-config\nruncmd:\n  - [sh, -c, '" + touch("jinja-{{ v1.instance_id }}") + "']\n",
			present: []string{"jinja-iid-judge-jinja"},
		},
		{
			// base64 given straight to NoCloud: cloud-init does not decode
			// it (a warning, since EC2's API would).
			name:   "base64-on-nocloud",
			doc:    base64.StdEncoding.EncodeToString([]byte("#cloud-config\nruncmd:\n  - [sh, -c, '" + touch("base64") + "']\n")),
			absent: []string{"base64"},
		},
	}
}

func exists(m *machine, name string) bool {
	_, err := os.Stat(m.root + jdir + "/" + name)
	return err == nil
}

// TestLintSeverityOnRealBoots boots each probe on every image (Debian 12
// and 13: cloud-init 22.4 and 25.1) and holds udkit lint's verdict to it.
func TestLintSeverityOnRealBoots(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) { lintSeverityOn(t, img) })
}

// lintSeverityOn boots every probe on img.
func lintSeverityOn(t *testing.T, img *osImage) {
	for _, tc := range judgeCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, ds, err := udkit.Lint([]byte(tc.doc))
			if err != nil {
				t.Fatalf("lint: %v", err)
			}
			got := map[string]bool{}
			for _, d := range ds {
				if d.Severity == udkit.Error {
					got[d.Rule] = true
				}
			}
			var gotList []string
			for r := range got {
				gotList = append(gotList, r)
			}
			sort.Strings(gotList)
			want := append([]string(nil), tc.errors...)
			sort.Strings(want)
			if strings.Join(gotList, ",") != strings.Join(want, ",") {
				t.Errorf("lint errors %v, want %v:\n%v", gotList, want, ds)
			}
			m := newMachineOn(t, img)
			m.writeSeed(seedData{instanceID: "iid-judge-" + tc.name, userData: []byte(tc.doc)})
			state, status := m.start()
			t.Logf("%s: system %s, cloud-init: %s", tc.name, state, strings.SplitN(status, "\n", 2)[0])
			// A missing marker means something only if cloud-init ran
			// with this user data: it keeps a copy in the instance
			// directory (read through its real path: the instance link is
			// absolute, so it would lead out of the container's root).
			if got := m.file("/var/lib/cloud/instances/iid-judge-" + tc.name + "/user-data.txt"); got != tc.doc {
				t.Fatalf("cloud-init's copy of the user data is %d bytes, want the %d of the document: it did not run with it", len(got), len(tc.doc))
			}
			for _, p := range tc.present {
				if !exists(m, p) {
					t.Errorf("marker %s missing: the boot did not do what the document says, yet lint reports no error for it", p)
				}
			}
			for _, a := range tc.absent {
				if exists(m, a) {
					t.Errorf("marker %s present: the boot did what lint said it would not", a)
				}
			}
			if tc.check != nil {
				if msg := tc.check(m); msg != "" {
					t.Error(msg)
				}
			}
			m.stop()
		})
	}
}
