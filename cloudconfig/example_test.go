package cloudconfig_test

import (
	"errors"
	"fmt"

	"github.com/udkit/udkit/cloudconfig"
)

func ExampleConfig_Marshal() {
	c := &cloudconfig.Config{
		WriteFiles: []cloudconfig.WriteFile{{
			Path:        "/etc/default/app",
			Content:     "CLUSTER=blue\n",
			Permissions: "0640",
		}},
		Runcmd: []cloudconfig.Command{
			cloudconfig.Argv("systemctl", "enable", "--now", "--no-block", "app-deregister.service"),
			cloudconfig.Shell(`echo "registered $(hostname)" >> /var/log/app.log`),
		},
	}
	out, err := c.Marshal()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// #cloud-config
	// write_files:
	//   - path: /etc/default/app
	//     content: |
	//       CLUSTER=blue
	//     permissions: '0640'
	// runcmd:
	//   - [systemctl, enable, --now, --no-block, app-deregister.service]
	//   - echo "registered $(hostname)" >> /var/log/app.log
}

func ExampleParse() {
	c, err := cloudconfig.Parse([]byte("#cloud-config\npackage_update: yes\nruncmd:\n  - [echo, 'on']\n  - echo $HOME\nhostname: web-1\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println(*c.PackageUpdate)
	for _, cmd := range c.Runcmd {
		fmt.Println(cmd.IsShell(), cmd.String())
	}
	fmt.Println(c.Extra[0].Key, c.Extra[0].Value.Value)
	// Output:
	// true
	// false 'echo' 'on'
	// true echo $HOME
	// hostname web-1
}

func ExampleWriteFile_SetData() {
	f := cloudconfig.WriteFile{Path: "/usr/local/share/blob"}
	f.SetData([]byte{0x00, 0x01, 0xfe, 0xff})
	fmt.Println(f.Encoding, f.Content)
	data, err := f.Data()
	fmt.Println(data, err)
	// Output:
	// b64 AAH+/w==
	// [0 1 254 255] <nil>
}

func ExampleCommand_String() {
	fmt.Println(cloudconfig.Argv("echo", "it's", "$HOME").String())
	fmt.Println(cloudconfig.Shell("echo $HOME").String())
	// Output:
	// 'echo' 'it'\''s' '$HOME'
	// echo $HOME
}

func ExampleConfig_Validate() {
	c, err := cloudconfig.Parse([]byte(`#cloud-config
write_files:
  - path: etc/app.conf
    permissions: 0644
runcmd:
  - [sleep, 5]
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Validate())
	// Output:
	// cloudconfig: 3 problems:
	// 	write_files[0].path: line 3:11: must be absolute: "etc/app.conf" (cloud-init would resolve it against its own working directory) [path-absolute]
	// 	write_files[0].permissions: line 4:18: warning: unquoted 0644 is read by YAML 1.1 as the number 420; cloud-init's schema wants a string: write '0644' [permissions-unquoted]
	// 	runcmd[0][1]: line 6:13: must be a string, not the number 5; quote it: '5' [string]
}

func ExampleLint() {
	c := &cloudconfig.Config{
		WriteFiles: []cloudconfig.WriteFile{{
			Path:    "/etc/systemd/system/hook.service",
			Content: "[Unit]\nAfter=network-online.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\nExecStop=/usr/local/sbin/deregister\n",
		}},
		Runcmd: []cloudconfig.Command{
			cloudconfig.Shell("systemctl daemon-reload && systemctl enable hook.service"),
		},
	}
	for _, d := range cloudconfig.Lint(c) {
		fmt.Println(d.Severity, d.Rule, d.Path)
	}
	// Output:
	// error systemctl-enable-now runcmd[0]
}

// A parse error is a *ParseError with the line (and the column, where the
// YAML decoder gives it).
func ExampleParseError() {
	_, err := cloudconfig.Parse([]byte("#cloud-config\nruncmd: [a]\nruncmd: [b]\n"))
	var pe *cloudconfig.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Line, pe.Column)
		fmt.Println(err)
	}
	// Output:
	// 3 1
	// cloudconfig: line 3:1: duplicate key runcmd (first at line 2); cloud-init keeps only the last one and silently drops the first: merge them into one
}

func ExampleMerge() {
	base := &cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Argv("systemctl", "daemon-reload")}, FinalMessage: "base"}
	user := &cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Argv("echo", "user part")}, FinalMessage: "user"}
	if err := cloudconfig.Merge(base, user); err != nil {
		panic(err)
	}
	out, _ := base.Marshal()
	fmt.Print(string(out))
	fmt.Println("X-Merge-Type:", cloudconfig.MergeAppend)
	// Output:
	// #cloud-config
	// runcmd:
	//   - [systemctl, daemon-reload]
	//   - [echo, user part]
	// final_message: base
	// X-Merge-Type: list(append)+dict(no_replace,recurse_list)+str()
}
