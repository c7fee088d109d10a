package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/udkit/udkit/dist"
)

// unitCmd prints udkitd's hardened systemd unit (dist/udkitd.service), so
// that a `go install`ed udkitd can be run as a service:
//
//	udkitd unit > /etc/systemd/system/udkitd.service
func unitCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("udkitd unit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: udkitd unit

Print the hardened systemd unit of udkitd (Type=notify, DynamicUser=yes,
state in /var/lib/udkitd, ExecStart=/usr/local/bin/udkitd serve ...).
Install it with:
  install -m 0755 "$(command -v udkitd)" /usr/local/bin/udkitd
  udkitd unit > /etc/systemd/system/udkitd.service
  systemctl daemon-reload && systemctl enable --now udkitd
More serve flags go in UDKITD_OPTS in /etc/default/udkitd.
`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "udkitd unit: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	io.WriteString(stdout, dist.UdkitdService)
	return exitOK
}
