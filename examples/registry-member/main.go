// Command registry-member prints the user data of a web server that joins
// a udkit registry's "web" cluster at every boot and leaves it at
// shutdown, built in Go. It gives the same bytes as
//
//	go run ./cmd/udkit render examples/registry-member/spec.yaml
package main

import (
	_ "embed"
	"fmt"
	"os"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
)

// registryCA is the registry's CA certificate (an example, not a real CA).
//
//go:embed registry-ca.pem
var registryCA string

// spec is the web server's spec, the same as spec.yaml.
func spec() *udkit.Spec {
	return &udkit.Spec{
		Name: "web",
		Registry: &udkit.RegistryHook{
			URL:     "https://192.0.2.10:8180",
			Cluster: "web",
			// Provisioned with the image: the token is not in user data.
			JoinTokenFile: "/etc/udkit/join-token",
			CAFile:        "/etc/udkit/registry-ca.pem",
			CA:            registryCA,
			Labels:        map[string]string{"role": "frontend"},
			// The hook deregisters at every shutdown, reboots included.
			EveryBoot: true,
		},
		StopTimeout: 45 * time.Second,
		CloudConfig: &cloudconfig.Config{Packages: []string{"curl"}},
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
