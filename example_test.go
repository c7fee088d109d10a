package udkit_test

import (
	"errors"
	"fmt"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

// Build a stop hook that deregisters through a script on an NFS share,
// and look at what arms it.
func ExampleBuild() {
	b, err := udkit.Build(&udkit.Spec{
		Name:       "managed-server",
		Register:   &udkit.Action{Command: []string{"/mnt/domain/bin/register-server"}},
		Deregister: &udkit.Action{Command: []string{"/mnt/domain/bin/deregister-server"}},
		Mounts:     []string{"/mnt/domain"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Hook.Path)
	for _, c := range b.CloudConfig.Runcmd {
		fmt.Println(c)
	}
	for _, d := range b.Diagnostics {
		fmt.Println(d.Severity, d.Rule)
	}
	// Output:
	// /etc/systemd/system/managed-server-deregister.service
	// 'systemctl' 'daemon-reload'
	// 'systemctl' 'enable' '--now' '--no-block' 'managed-server-deregister.service'
	// '/mnt/domain/bin/register-server'
	// info register-once
	// info mounts-required
}

// Render user data, base64-encoded for a launch template.
func ExampleRender() {
	data, _, err := udkit.Render(&udkit.Spec{
		Name:       "worker",
		Deregister: &udkit.Action{Script: "#!/bin/sh\nexec curl --max-time 10 -X DELETE http://192.0.2.10:8080/v1/members/$(hostname)\n"},
	}, udkit.Options{Gzip: userdata.GzipAlways, Base64: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := userdata.Decode(data, userdata.Limits{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("base64:", d.Base64, "gzip:", d.Gzip)
	for _, p := range d.Parts {
		fmt.Println(p.ContentType, p.Filename)
	}
	// Output:
	// base64: true gzip: true
	// text/cloud-config cloud-config
}

// A spec file with mistakes is refused with every problem, its line and
// its YAML path.
func ExampleParseSpecFile() {
	_, err := udkit.ParseSpecFile([]byte(`name: app
deregister:
  command: /usr/local/bin/leave
stop_timeout: 2m
enviroment:
  A: b
`), nil)
	fmt.Println(err)
	// Output:
	// udkit: invalid spec (3 problems):
	//   line 3: deregister.command: must be a list of strings, not a string
	//   line 4: stop_timeout: 2m0s: give a whole number of seconds from 1s to 1m30s (0 means 1m0s): the hook holds up shutdown, and the cloud may not wait
	//   line 5: enviroment: unknown key; known keys here: cloud_config, deregister, environment, files, ignore, mounts, name, output, parts, register, registry, stop_timeout, user, version
}

// A caller branches on the errors it may act on with errors.As: a spec it
// must fix, lint errors it may accept or silence, a document too large.
func ExampleSpecError() {
	_, _, err := udkit.Render(&udkit.Spec{Name: "app", Deregister: &udkit.Action{Command: []string{"leave"}}, User: "a b"}, udkit.Options{})
	var se *udkit.SpecError
	if errors.As(err, &se) {
		for _, p := range se.Problems {
			fmt.Println(p.Path)
		}
	}
	// Output:
	// deregister.command[0]
	// user
}

// Silence a rule by its id: the finding is neither returned nor counted.
func ExampleOptions_Ignore() {
	s := &udkit.Spec{
		Name:       "app",
		Register:   &udkit.Action{Command: []string{"/usr/local/bin/join"}},
		Deregister: &udkit.Action{Command: []string{"/usr/local/bin/leave"}},
	}
	_, diags, _ := udkit.Render(s, udkit.Options{})
	fmt.Println(len(diags), diags[0].Rule)
	_, diags, _ = udkit.Render(s, udkit.Options{Ignore: []string{udkit.RuleRegisterOnce}})
	fmt.Println(len(diags))
	// Output:
	// 1 register-once
	// 0
}

// Lint a cloud-config that arms a stop hook without starting it.
func ExampleLint() {
	kind, diags, err := udkit.Lint([]byte(`#cloud-config
write_files:
  - path: /etc/systemd/system/leave.service
    content: |
      [Unit]
      Description=Deregister at shutdown
      Wants=network-online.target
      After=network-online.target network.target

      [Service]
      Type=oneshot
      RemainAfterExit=yes
      ExecStart=/bin/true
      ExecStop=/usr/local/bin/leave
      TimeoutStopSec=60

      [Install]
      WantedBy=multi-user.target
runcmd:
  - [systemctl, daemon-reload]
  - [systemctl, enable, leave.service]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(kind)
	for _, d := range diags {
		fmt.Printf("line %d: %s [%s]\n", d.Line, d.Severity, d.Rule)
	}
	// Output:
	// cloud-config
	// line 21: error [systemctl-enable-now]
}
