// Command managed-server prints the user data of a Java EE managed server
// that registers with its cluster at launch and deregisters at shutdown,
// built in Go. It gives the same bytes as
//
//	go run ./cmd/udkit render examples/managed-server/spec.yaml
//
// See README.md in this directory for what each piece does and why.
package main

import (
	_ "embed"
	"fmt"
	"os"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
)

//go:embed register.sh
var registerScript string

//go:embed check-hook.sh
var checkHook []byte

// spec is the managed server's spec, the same as spec.yaml.
func spec() *udkit.Spec {
	return &udkit.Spec{
		Name: "managed-server",
		// Written to /usr/local/sbin/managed-server-register and run on
		// every boot as the hook's ExecStart=: the hook deregisters at
		// every shutdown, reboots included.
		Register: &udkit.Action{Script: registerScript, EveryBoot: true},
		// Lives on the NFS share: referenced, not written.
		Deregister:  &udkit.Action{Command: []string{"/mnt/domain/bin/deregister-server"}},
		Mounts:      []string{"/mnt/domain"},
		StopTimeout: 60 * time.Second,
		Environment: []udkit.EnvVar{
			{Name: "ADMIN_URL", Value: "t3://192.0.2.10:7001"},
			{Name: "CLUSTER", Value: "cluster-1"},
			{Name: "DOMAIN_HOME", Value: "/mnt/domain"},
		},
		CloudConfig: &cloudconfig.Config{
			PackageUpdate: cloudconfig.Bool(true),
			Packages:      []string{"nfs-common"},
			Mounts: [][]string{
				{"192.0.2.20:/export/domain", "/mnt/domain", "nfs4", "defaults,_netdev", "0", "0"},
			},
		},
		Parts: []udkit.Part{
			// Sorts after "runcmd", so it runs after the hook is armed.
			{ContentType: udkit.ContentShellScript, Filename: "zz-check-hook.sh", Body: checkHook},
		},
	}
}

// options are the output options of spec.yaml: its defaults, which are
// the zero Options.
var options = udkit.Options{}

func main() {
	data, diags, err := udkit.Render(spec(), options)
	for _, d := range diags {
		if d.Severity != udkit.Info {
			fmt.Fprintln(os.Stderr, d)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(data)
}
