package cloudconfig_test

import (
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
