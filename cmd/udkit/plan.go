package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

func init() {
	register("plan", command{
		summary: "show what cloud-init will do with user data, stage by stage, first boot and later",
		run:     runPlan,
	})
}

const planUsage = `usage: udkit plan [--json] [--cloud-cfg FILE] [FILE|-]

Decodes user data as udkit inspect does (#cloud-config-archive entries
become parts of their own) and prints what cloud-init will do
with it, in boot order: for each stage (init-local, init-network,
modules-config, modules-final) the user-data handlers and the modules that
act on this user data, each with its frequency and what it does (files
written with mode and owner, commands, scripts with their path on the
instance and their place in the run, boothooks, packages, mounts, the stop
hook armed); then what happens again on later boots of the same instance;
then what will not happen, and why (ignored parts, keys replaced by a later
part, includes not fetched, templates not rendered).

The module lists come from --cloud-cfg FILE, an image's
/etc/cloud/cloud.cfg (the *.cfg files of FILE.d are read too, as
cloud-init does), or by default from Debian 12's cloud-init 22.4 package.
--cloud-cfg upstream-25.1 uses cloud-init 25.1's upstream list for Debian.

--json prints one JSON object (schema 1; fields are only ever added):
  {"schema":1,
   "cloud_cfg":{"source":S,"versions":S},
   "parts":[{"index":N,"content_type":S,"name":S,"handler":S,"file":S,
             "effect":"merged|script|boothook|ignored|unknown",
             "archive":{"part":N,"entry":N}}],
   "stages":[{"name":"init-local|init-network|modules-config|modules-final",
              "unit":S,
              "steps":[{"module":S,"frequency":"always|once-per-instance|once",
                        "actions":[{"kind":S,"part":N,"from":S,"name":S,
                                    "file":S,"mode":S,"owner":S,"append":B,
                                    "command":S,"position":N,"detail":S,
                                    "every_boot":B}]}]}],
   "findings":[{"part":N,"part_label":S,"path":S,"severity":S,
                "rule":S,"message":S}]}
Empty strings, zeros and false are left out of actions, parts and findings,
except every_boot.

Exit status: 0 when the plan has no error finding, 1 when it has one or
the input cannot be decoded, 2 on a usage error.
`

func runPlan(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print one JSON object")
	cfgPath := fs.String("cloud-cfg", "", "the image's cloud.cfg `FILE`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(stdout, planUsage)
			return exitOK
		}
		fmt.Fprintf(stderr, "udkit plan: %v\n%s", err, planUsage)
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "udkit plan: one input at most, got %d\n%s", fs.NArg(), planUsage)
		return exitUsage
	}
	var opts udkit.PlanOptions
	switch *cfgPath {
	case "":
	case "upstream-25.1":
		opts.CloudCfg = udkit.Upstream251Debian()
	default:
		c, err := udkit.ReadCloudCfg(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "udkit plan: --cloud-cfg: %s\n", errText(err))
			return exitUsage
		}
		opts.CloudCfg = c
	}
	name := "-"
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	data, err := readInput(name, stdin, userdata.DefaultMaxInput)
	if err != nil {
		printLine(stderr, "udkit plan: %s", errText(err))
		return exitTrouble
	}
	where := name
	if name == "-" {
		where = "standard input"
	}
	plan, err := udkit.Plan(data, opts)
	if err != nil {
		printLine(stderr, "udkit plan: %s: %s", where, errText(err))
		return exitTrouble
	}
	if *asJSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(plan); err != nil {
			printLine(stderr, "udkit plan: %v", err)
			return exitTrouble
		}
		if _, err := stdout.Write(jsonSafe(buf.Bytes())); err != nil {
			printLine(stderr, "udkit plan: writing standard output: %v", err)
			return exitTrouble
		}
	} else {
		io.WriteString(stdout, plan.Text(where))
	}
	if plan.Findings.HasErrors() {
		return exitFail
	}
	return exitOK
}
