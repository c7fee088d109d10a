package cloudconfig_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/internal/realtools"
	"gopkg.in/yaml.v3"
)

func TestValidateTyped(t *testing.T) {
	tests := []struct {
		name string
		cfg  cloudconfig.Config
		want []string // Diagnostic.String() of each problem, in order
	}{
		{"valid seed scenario", *seedScenario(), nil},
		{"relative path", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "etc/x"}}},
			[]string{`write_files[0].path: must be absolute: "etc/x" (cloud-init would resolve it against its own working directory) [path-absolute]`}},
		{"empty path", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Content: "x"}}},
			[]string{`write_files[0].path: is empty; give the absolute path of the file [path-absolute]`}},
		{"tmp, unclean and directory", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/tmp/hook"}, {Path: "/etc//x/../y"}, {Path: "/etc/app/"}}},
			[]string{
				`write_files[0].path: warning: /tmp/hook is under /tmp, which is emptied at boot (often a tmpfs) while write_files runs only once per instance; use a path under /etc, /usr/local or /var/lib [path-tmp]`,
				`write_files[1].path: /etc//x/../y is not clean; write /etc/y [path-clean]`,
				`write_files[2].path: /etc/app/ names a directory; give a file name [path-directory]`,
			}},
		{"duplicate path, append allowed", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/etc/a"}, {Path: "/etc/b"}, {Path: "/etc/a", Append: true}, {Path: "/etc/b"}}},
			[]string{`write_files[3].path: /etc/b is also written by write_files[1]; this entry replaces that file: merge the two, or set append: true [path-duplicate]`}},
		{"encodings", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{
			{Path: "/a", Encoding: "rot13"}, {Path: "/b", Encoding: "B64", Content: "not base64!"}, {Path: "/c", Encoding: "gzip", Content: "plain"}, {Path: "/d", Encoding: "gz+b64", Content: "aGVsbG8="}, {Path: "/e", Encoding: "base64", Content: "aGVs\nbG8=\n"}}},
			[]string{
				`write_files[0].encoding: unknown encoding "rot13"; cloud-init accepts b64, base64, gz, gzip, gz+b64, gz+base64, gzip+b64, gzip+base64 and text/plain [encoding]`,
				`write_files[1].content: is not base64: illegal base64 data at input byte 9 (encoding B64) [content-encoding]`,
				`write_files[2].content: is not gzip: unexpected EOF (encoding gzip) [content-encoding]`,
				`write_files[3].content: is not gzip: unexpected EOF (encoding gz+b64) [content-encoding]`,
			}},
		{"owners", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/a", Owner: "app"}, {Path: "/b", Owner: "app:adm"}, {Path: "/c", Owner: "1000:1000"}, {Path: "/d", Owner: "app:"}, {Path: "/e", Owner: "Bad User"}, {Path: "/f", Owner: "a:b:c"}, {Path: "/g", Owner: "none:adm"}, {Path: "/h", Owner: "-1:9"}}},
			[]string{
				`write_files[2].owner: "1000:1000": numeric user id 1000; cloud-init looks owners up by name (getpwnam/getgrnam), so give the name [owner]`,
				`write_files[3].owner: "app:" has an empty group name; write user or user:group [owner]`,
				`write_files[4].owner: "Bad User": "Bad User" is not a valid user name; write user or user:group with names like app or app-data [owner]`,
				`write_files[5].owner: "a:b:c": "b:c" is not a valid group name; write user or user:group with names like app or app-data [owner]`,
				`write_files[7].owner: "-1:9": numeric group id 9; cloud-init looks owners up by name (getpwnam/getgrnam), so give the name [owner]`,
			}},
		{"permissions", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/a", Permissions: "0644"}, {Path: "/b", Permissions: "755"}, {Path: "/c", Permissions: "0o600"}, {Path: "/d", Permissions: "420"}, {Path: "/e", Permissions: "0648"}, {Path: "/f", Permissions: "rw-r--r--"}}},
			[]string{
				`write_files[3].permissions: warning: "420" reads as octal 0420, but it is the decimal form of 0644; write '0644' if that is what you meant, or '0420' to keep it [permissions-decimal]`,
				`write_files[4].permissions: "0648" is not an octal mode (it has the digit 8 or 9); if it is the decimal 648, write '1210' [permissions-octal]`,
				`write_files[5].permissions: "rw-r--r--" is not an octal mode; write a quoted octal string such as '0644' [permissions-octal]`,
			}},
		{"commands", cloudconfig.Config{
			Bootcmd: []cloudconfig.Command{cloudconfig.Shell(" ")},
			Runcmd:  []cloudconfig.Command{cloudconfig.Argv(), cloudconfig.Argv("", "x"), cloudconfig.Argv("echo", "a\x00b"), cloudconfig.Shell("ok"), {Args: []string{"bad\xff"}}},
		}, []string{
			`bootcmd[0]: empty shell command; remove it [command-empty]`,
			`runcmd[0]: empty argv list; remove it or give the program to run [command-empty]`,
			`runcmd[1][0]: is empty [empty]`,
			`runcmd[2][1]: contains a NUL byte [nul]`,
			`runcmd[4][0]: not valid UTF-8; YAML cannot hold it (for write_files content use SetData, which encodes it) [utf8]`,
		}},
		{"packages and mounts", cloudconfig.Config{Packages: []string{"jq", ""}, Mounts: [][]string{{}, {"a", "b", "c", "d", "e", "f", "g"}, {"", "/x"}}},
			[]string{
				`mounts[0]: is empty; give at least the device [mount-fields]`,
				`mounts[1]: has 7 fields; fstab entries have at most 6 (device, mount point, type, options, dump, pass) [mount-fields]`,
				`mounts[2][0]: is empty [empty]`,
				`packages[1]: is empty [empty]`,
			}},
	}
	// Six entries inflating to 1 MiB each: the first four use up the 4 MiB
	// that one config may inflate to, the others are reported.
	var bombs []cloudconfig.WriteFile
	bomb := gzipped(t, "", make([]byte, 1<<20))
	for i := 0; i < 6; i++ {
		bomb.Path = fmt.Sprintf("/b%d", i)
		bombs = append(bombs, bomb)
	}
	tests = append(tests, struct {
		name string
		cfg  cloudconfig.Config
		want []string
	}{"gzip contents share one budget", cloudconfig.Config{WriteFiles: bombs}, []string{
		"write_files[4].content: expands past the 4194304 bytes that the gzip contents of all write_files entries may inflate to together (0 left after the entries before it; a gzip bomb?); fetch large files at boot instead (encoding gz+b64) [content-encoding]",
		"write_files[5].content: expands past the 4194304 bytes that the gzip contents of all write_files entries may inflate to together (0 left after the entries before it; a gzip bomb?); fetch large files at boot instead (encoding gz+b64) [content-encoding]",
	}})
	extra := &yaml.Node{}
	_ = extra.Encode([]string{"echo extra"})
	tests = append(tests, struct {
		name string
		cfg  cloudconfig.Config
		want []string
	}{"typed and extra", cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Shell("x")}, Extra: []cloudconfig.Field{{Key: "runcmd", Value: extra}, {Key: "users"}}}, []string{
		"runcmd: is set both in its typed field and in Extra; keep one [extra-typed]",
		"users: value is nil; set a YAML node or remove the key [extra-nil]",
	}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertDiagnostics(t, tt.cfg.Validate(), tt.want)
		})
	}
}

// warningRules are the Validate rules of severity warning.
var warningRules = map[string]bool{"path-tmp": true, "permissions-unquoted": true, "permissions-decimal": true}

func assertDiagnostics(t *testing.T, err error, want []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected problems: %v", err)
		}
		return
	}
	var ve *cloudconfig.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	var got []string
	for _, d := range ve.Diagnostics {
		// Only what a real boot does as written is a warning: a file
		// under /tmp, an unquoted octal or decimal-looking mode.
		if d.Severity != diag.Error && !(d.Severity == diag.Warning && warningRules[d.Rule]) {
			t.Errorf("%s: severity %v, want error", d.Path, d.Severity)
		}
		loc := ""
		if d.Line > 0 {
			loc = fmt.Sprintf("%d:%d: ", d.Line, d.Column)
		}
		sev := ""
		if d.Severity == diag.Warning {
			sev = "warning: "
		}
		got = append(got, loc+d.Path+": "+sev+d.Message+" ["+d.Rule+"]")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

// Known keys that did not fit the model are checked from their YAML; the
// findings of a parsed config carry line:column (no longer in the message).
func TestValidateParsed(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"runcmd entry types", "runcmd:\n  - 42\n  - [sleep, 5]\n  - echo a: b\n  - ~\n  - ''\n  - []\n", []string{
			`3:5: runcmd[0]: must be a string (run by sh) or a list of strings (argv), not the number 42; quote it: '42' [command-type]`,
			`4:13: runcmd[1][1]: must be a string, not the number 5; quote it: '5' [string]`,
			`5:5: runcmd[2]: must be a string (run by sh) or a list of strings (argv), not a mapping; a ": " in an unquoted command makes it a mapping: quote the whole command [command-type]`,
			`7:5: runcmd[4]: empty shell command; remove it [command-empty]`,
			`8:5: runcmd[5]: empty argv list; remove it or give the program to run [command-empty]`,
		}},
		{"bootcmd not a list", "bootcmd: echo hi\n", []string{`2:10: bootcmd: must be a list, not the string "echo hi" [list]`}},
		{"empty runcmd", "runcmd: []\n", []string{`2:9: runcmd: is an empty list, which cloud-init's schema rejects; leave the key out [list]`}},
		{"unquoted permissions", "write_files:\n  - path: /a\n    permissions: 0644\n  - path: /b\n    permissions: 644\n  - path: /c\n    permissions: 0o644\n", []string{
			`4:18: write_files[0].permissions: warning: unquoted 0644 is read by YAML 1.1 as the number 420; cloud-init's schema wants a string: write '0644' [permissions-unquoted]`,
			`6:18: write_files[1].permissions: unquoted 644 is the decimal number 644, which cloud-init applies as mode 1204; write '0644' (quoted) for mode 0644 [permissions-unquoted]`,
		}},
		{"write_files entries", "write_files:\n  - content: x\n  - path: relative\n    encoding: rot13\n    owner: 0\n    append: 'yes'\n    source: {uri: x}\n  - path: /b\n    content: !!binary aGk=\n  - path: /b\n  - just a string\n", []string{
			`3:5: write_files[0]: has no path; give the absolute path of the file [path-absolute]`,
			`4:11: write_files[1].path: must be absolute: "relative" (cloud-init would resolve it against its own working directory) [path-absolute]`,
			`5:15: write_files[1].encoding: unknown encoding "rot13"; cloud-init accepts b64, base64, gz, gzip, gz+b64, gz+base64, gzip+b64, gzip+base64 and text/plain [encoding]`,
			`6:12: write_files[1].owner: must be a string, not the number 0; quote it: '0' [string]`,
			`7:13: write_files[1].append: must be true or false, not the string "yes" [bool]`,
			`8:13: write_files[1].source: key "source" is not known to cloud-init 22.4 (Debian 12: its schema rejects it and the file gets no content from it); cloud-init 25.1 fetches the content from source.uri; use content to work on both [write-file-key]`,
			`11:11: write_files[3].path: /b is also written by write_files[2]; this entry replaces that file: merge the two, or set append: true [path-duplicate]`,
			`12:5: write_files[4]: must be a mapping with at least a path, not the string "just a string" [write-file-type]`,
		}},
		{"packages with versions are fine", "packages:\n  - jq\n  - [curl, '7.88']\n", nil},
		{"packages", "packages:\n  - [curl]\n  - 5\n", []string{
			`3:5: packages[0]: a package with a version is a list of two strings [name, version], not 1 items [package-type]`,
			`4:5: packages[1]: must be a string, not the number 5; quote it: '5' [string]`,
		}},
		{"scalars", "package_update: 'yes'\nfinal_message: 5\nmounts:\n  - [sdb, /data, auto, defaults, 0, 2]\n  - sdc\n", []string{
			`5:34: mounts[0][4]: must be a string, not the number 0; quote it: '0' [string]`,
			`5:37: mounts[0][5]: must be a string, not the number 2; quote it: '2' [string]`,
			`6:5: mounts[1]: must be a list [device, mount point, type, options, dump, pass], not the string "sdc" [mount-type]`,
			`2:17: package_update: must be true or false, not the string "yes" [bool]`,
			`3:16: final_message: must be a string, not the number 5; quote it: '5' [string]`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cloudconfig.Parse([]byte("#cloud-config\n" + tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			assertDiagnostics(t, c.Validate(), tt.want)
		})
	}
}

// Validate and the real cloud-init schema agree on the documents where the
// schema can tell: what Validate rejects for type reasons, cloud-init
// rejects too.
func TestValidateAgreesWithCloudInit(t *testing.T) {
	docs := []string{
		"runcmd:\n  - 42\n",
		"runcmd: []\n",
		"bootcmd: echo\n",
		"write_files:\n  - path: /a\n    permissions: 0644\n",
		"write_files:\n  - path: /a\n    encoding: rot13\n",
		"write_files:\n  - path: /a\n    source: x\n",
		"write_files:\n  - content: x\n",
		"packages:\n  - [curl]\n",
		"package_update: 'yes'\n",
		"mounts:\n  - [sdb, /data, auto, defaults, 0, 2]\n",
		"final_message: 5\n",
	}
	for _, d := range docs {
		doc := "#cloud-config\n" + d
		c, err := cloudconfig.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if c.Validate() == nil {
			t.Errorf("Validate accepts %q", d)
		}
		if v := realtools.CloudInitSchema(t, []byte(doc)); v.Valid {
			t.Errorf("cloud-init accepts %q, Validate does not: %v", d, c.Validate())
		}
	}
}

func TestValidationErrorString(t *testing.T) {
	c := cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "x"}, {Path: "/tmp/y"}}}
	err := c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "cloudconfig: 2 problems:\n\twrite_files[0].path: must be absolute") {
		t.Errorf("error = %v", err)
	}
	c.WriteFiles = c.WriteFiles[:1]
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "cloudconfig: write_files[0].path: must be absolute") {
		t.Errorf("error = %v", err)
	}
}
