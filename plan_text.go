package udkit

import (
	"fmt"
	"strings"

	"github.com/udkit/udkit/diag"
)

// Text formats the plan for a person to read top to bottom: the first
// boot stage by stage, then what later boots of the same instance do
// again and what they do not, then the findings. name names the input in
// the first line. Every string from the user data is escaped with
// [diag.Escape] or [diag.Quote].
func (bp *BootPlan) Text(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan for %s: %d parts; module lists: %s\n", diag.Escape(name), len(bp.Parts), diag.Escape(bp.CloudCfg.Source))
	if bp.CloudCfg.Versions != "" {
		fmt.Fprintf(&b, "  (%s)\n", diag.Escape(bp.CloudCfg.Versions))
	}
	b.WriteString("\nFIRST BOOT\n")
	for _, st := range bp.Stages {
		fmt.Fprintf(&b, "%s (%s)\n", st.Name, diag.Escape(st.Unit))
		if len(st.Steps) == 0 || len(st.Steps) == 1 && len(st.Steps[0].Actions) == 0 {
			b.WriteString("  nothing from this user data\n")
			continue
		}
		for _, s := range st.Steps {
			if len(s.Actions) == 0 {
				continue
			}
			fmt.Fprintf(&b, "  %s [%s]\n", diag.Escape(s.Module), s.Frequency)
			for _, a := range s.Actions {
				writeAction(&b, "    ", a)
			}
		}
	}
	b.WriteString("\nLATER BOOTS OF THE SAME INSTANCE\n")
	var notAgain, systemd []string
	again := false
	for _, st := range bp.Stages {
		for _, s := range st.Steps {
			if len(s.Actions) == 0 {
				continue
			}
			var ev []PlanAction
			for _, a := range s.Actions {
				switch {
				case a.Kind == "arm-stop-hook" && a.EveryBoot && s.Frequency != FreqAlways:
					// Not this step: systemd starts the
					// enabled unit.
					systemd = append(systemd, fmt.Sprintf("  systemd: start %s (enabled on the first boot); its ExecStop= runs at the next shutdown\n", diag.Escape(a.Name)))
				case a.EveryBoot:
					ev = append(ev, a)
				}
			}
			if len(ev) == 0 {
				notAgain = append(notAgain, fmt.Sprintf("%s (%s)", diag.Escape(s.Module), s.Frequency))
				continue
			}
			again = true
			fmt.Fprintf(&b, "  %s: %s [%s]\n", st.Name, diag.Escape(s.Module), s.Frequency)
			for _, a := range ev {
				if a.Kind == "write-script" && s.Module == "user-data" {
					fmt.Fprintf(&b, "    rewrite %s (not run again by this step)\n", diag.Escape(a.File))
					continue
				}
				if a.Kind == "merge-config" {
					fmt.Fprintf(&b, "    merge part %d again\n", a.Part)
					continue
				}
				writeAction(&b, "    ", a)
			}
		}
	}
	for _, l := range systemd {
		b.WriteString(l)
		again = true
	}
	if !again {
		b.WriteString("  nothing from this user data runs again\n")
	}
	if len(notAgain) > 0 {
		fmt.Fprintf(&b, "  not again: %s\n", strings.Join(notAgain, ", "))
		b.WriteString("  (a new instance ID runs the once-per-instance steps again; once steps never)\n")
	}
	b.WriteString("\nWILL NOT HAPPEN\n")
	if len(bp.Findings) == 0 {
		b.WriteString("  no findings\n")
	}
	for _, d := range bp.Findings {
		fmt.Fprintf(&b, "  %s\n", d.String())
	}
	return b.String()
}

func writeAction(b *strings.Builder, ind string, a PlanAction) {
	src := ""
	switch {
	case a.Part > 0 && a.From != "":
		src = fmt.Sprintf("  (part %d %s)", a.Part, diag.Escape(a.From))
	case a.Part > 0:
		src = fmt.Sprintf("  (part %d)", a.Part)
	case a.From != "":
		src = fmt.Sprintf("  (%s)", diag.Escape(a.From))
	}
	e := diag.Escape
	switch a.Kind {
	case "merge-config":
		fmt.Fprintf(b, "%smerge cloud-config %s: %s%s\n", ind, diag.Quote(a.Name), e(a.Detail), src)
	case "write-script":
		fmt.Fprintf(b, "%swrite %s %s%s\n", ind, e(a.File), a.Mode, src)
		if a.Detail != "" {
			fmt.Fprintf(b, "%s  %s\n", ind, e(a.Detail))
		}
		if a.Command != "" {
			for _, l := range strings.Split(a.Command, "\n") {
				fmt.Fprintf(b, "%s  | %s\n", ind, e(l))
			}
		}
	case "run-boothook":
		fmt.Fprintf(b, "%swrite %s %s and run it now%s\n", ind, e(a.File), a.Mode, src)
	case "run-command":
		lines := strings.Split(a.Command, "\n")
		fmt.Fprintf(b, "%srun: %s%s\n", ind, e(lines[0]), src)
		for _, l := range lines[1:] {
			fmt.Fprintf(b, "%s   | %s\n", ind, e(l))
		}
	case "write-file":
		verb := "write"
		if a.Append {
			verb = "append to"
		}
		extra := ""
		if a.Detail != "" {
			extra = " [" + e(a.Detail) + "]"
		}
		fmt.Fprintf(b, "%s%s %s %s %s%s%s\n", ind, verb, e(a.File), a.Mode, e(a.Owner), extra, src)
	case "run-script":
		fmt.Fprintf(b, "%s%d. run %s%s\n", ind, a.Position, e(a.File), src)
	case "mount":
		fmt.Fprintf(b, "%smount %s: %s%s\n", ind, e(a.File), e(a.Detail), src)
	case "install-package":
		fmt.Fprintf(b, "%sinstall %s%s\n", ind, e(a.Name), src)
	case "arm-stop-hook":
		fmt.Fprintf(b, "%sarm stop hook %s: %s\n", ind, e(a.Name), e(a.Command))
		fmt.Fprintf(b, "%s  %s\n", ind, e(a.Detail))
	default:
		what := a.Kind
		if a.File != "" {
			what += " " + e(a.File)
		}
		if a.Detail != "" {
			what += ": " + e(a.Detail)
		}
		if a.Kind == "read-keys" {
			what = "reads " + e(a.From)
			src = ""
			if a.Part > 0 {
				src = fmt.Sprintf("  (part %d)", a.Part)
			}
		}
		fmt.Fprintf(b, "%s%s%s\n", ind, what, src)
	}
}
