package udkit_test

import (
	"fmt"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/userdata"
)

// Plan says where runcmd runs among the script parts (sorted by file
// name), what happens again on every boot, and which part's keys are lost.
func ExamplePlan() {
	doc := &userdata.Document{}
	doc.Add(userdata.ContentCloudConfig, "base.yaml", []byte("#cloud-config\nruncmd:\n  - echo one\nbootcmd:\n  - echo early\n"))
	doc.Add(userdata.ContentShellScript, "10-setup.sh", []byte("#!/bin/sh\necho setup\n"))
	doc.Add(userdata.ContentShellScript, "zz-report.sh", []byte("#!/bin/sh\necho report\n"))
	doc.Add(userdata.ContentCloudConfig, "more.yaml", []byte("#cloud-config\nruncmd:\n  - echo two\n"))
	data, err := doc.Encode(userdata.Options{})
	if err != nil {
		panic(err)
	}
	plan, err := udkit.Plan(data, udkit.PlanOptions{})
	if err != nil {
		panic(err)
	}
	for _, st := range plan.Stages {
		for _, s := range st.Steps {
			for _, a := range s.Actions {
				if a.Kind == "run-script" || a.Kind == "run-command" {
					fmt.Printf("%s %s %s%s every boot: %v\n", st.Name, s.Module, a.Name, a.Command, a.EveryBoot)
				}
			}
		}
	}
	for _, f := range plan.Findings {
		fmt.Println(f.Rule, "part", f.Part, f.Path)
	}
	// Output:
	// init-network bootcmd echo early every boot: true
	// modules-final scripts-user 10-setup.sh every boot: false
	// modules-final scripts-user runcmd every boot: false
	// modules-final scripts-user zz-report.sh every boot: false
	// plan-replaced part 1 runcmd
}
