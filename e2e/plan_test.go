//go:build e2e && linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

// The plan tests boot user data built to exercise cloud-init's order and
// frequencies, and compare what `udkit plan --json --cloud-cfg` (with the
// booted image's own /etc/cloud/cloud.cfg and cloud.cfg.d) says with what
// cloud-init did on the machine, on the first boot and after a reboot:
//
//   - every command, script and boothook of the user data appends a
//     marker ("script NAME", "boothook NAME", "bootcmd N", "per-boot
//     NAME") to orderLog; the markers of each boot must be exactly the
//     plan's run actions for that boot, in the plan's order;
//   - cloud-init.log's module events (start: STAGE/config-NAME ... with
//     frequency F; finish: ... ran successfully | previously ran) must
//     show every module step of the plan in its stage, in the plan's
//     order, with its frequency, run on the first boot and, on the
//     second, run again exactly when the plan says every boot;
//   - the scripts and boothooks directories hold exactly the plan's
//     files; every written file has the plan's mode and owner, was
//     written before the config stage (or after it, with defer: true),
//     and, once deleted, comes back after the reboot only when the plan
//     says every boot;
//   - the stop hook is active after each boot exactly when the plan says
//     it is armed then.
//
// Any difference fails the test.

const orderLog = "/var/log/plan-order"

func marker(kind string) string {
	return `echo "` + kind + ` $(basename "$0")" >> ` + orderLog
}

// planDocument is the user data of TestPlanMatchesBoot: udkit's stop hook
// and cloud-config with bootcmd, runcmd between the script parts by name,
// write_files with and without defer, then a boothook, script parts
// (named and not), per-boot/per-instance/per-once scripts, and a last
// cloud-config part whose bootcmd replaces the first one's (no merge
// type).
func planDocument(t *testing.T) []byte {
	t.Helper()
	sh := func(body string) []byte { return []byte("#!/bin/sh\n" + body + "\n") }
	spec := &udkit.Spec{
		Name:       "plan",
		Deregister: &udkit.Action{Command: []string{"/bin/sh", "-c", "echo stopped >> /var/log/plan-stop"}},
		CloudConfig: &cloudconfig.Config{
			Bootcmd: []cloudconfig.Command{cloudconfig.Shell(`echo "bootcmd replaced" >> ` + orderLog)},
			Runcmd:  []cloudconfig.Command{cloudconfig.Shell(marker("script"))},
			WriteFiles: []cloudconfig.WriteFile{
				{Path: "/etc/plan/early", Content: "early\n", Permissions: "0600", Owner: "root:root"},
				{Path: "/etc/plan/late", Content: "late\n", Permissions: "0640", Owner: "nobody:nogroup", Defer: true},
				{Path: "/etc/plan/default", Content: "default\n"},
			},
		},
		Parts: []udkit.Part{
			{ContentType: userdata.ContentBoothook, Body: []byte("#cloud-boothook\n#!/bin/sh\n" + marker("boothook") + "\n")},
			{ContentType: userdata.ContentShellScript, Filename: "a-first.sh", Body: sh(marker("script"))},
			{ContentType: userdata.ContentShellScript, Filename: "zz-last.sh", Body: sh(marker("script"))},
			{ContentType: userdata.ContentShellScript, Body: sh(marker("script"))},
			{ContentType: userdata.ContentShellScriptPerBoot, Filename: "pb.sh", Body: sh(marker("per-boot"))},
			{ContentType: userdata.ContentShellScriptPerInst, Filename: "pi.sh", Body: sh(marker("per-instance"))},
			{ContentType: userdata.ContentShellScriptPerOnce, Filename: "po.sh", Body: sh(marker("per-once"))},
			{ContentType: userdata.ContentBoothook, Filename: "hook2", Body: []byte("#cloud-boothook\n#!/bin/sh\n" + marker("boothook") + "\n")},
			{ContentType: userdata.ContentCloudConfig, Filename: "override.yaml", Body: []byte("#cloud-config\nbootcmd:\n  - echo \"bootcmd one\" >> " + orderLog + "\n  - echo \"bootcmd two\" >> " + orderLog + "\n")},
		},
	}
	b, err := udkit.Build(spec)
	if err != nil {
		t.Fatalf("udkit.Build: %v", err)
	}
	// Build gives every cloud-config part the appending merge type; the
	// last part goes without, so that its bootcmd replaces the first's.
	parts := b.Document.Parts
	last := &parts[len(parts)-1]
	if last.Filename != "override.yaml" {
		t.Fatalf("last part is %q, want override.yaml", last.Filename)
	}
	last.MergeType = ""
	ud, err := b.Document.Encode(userdata.Options{})
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return ud
}

var udkitBinary struct {
	once sync.Once
	path string
	err  error
}

// requireUdkit builds the udkit command once per run.
func requireUdkit(t *testing.T) string {
	t.Helper()
	requireImage(t)
	udkitBinary.once.Do(func() {
		udkitBinary.path = filepath.Join(image.run, "udkit")
		cmd := exec.Command("go", "build", "-o", udkitBinary.path, "github.com/udkit/udkit/cmd/udkit")
		if out, err := cmd.CombinedOutput(); err != nil {
			udkitBinary.err = fmt.Errorf("e2e: building udkit: %v\n%s", err, out)
		}
	})
	if udkitBinary.err != nil {
		t.Fatal(udkitBinary.err)
	}
	return udkitBinary.path
}

// planFor runs udkit plan --json on the user data with the machine's own
// cloud.cfg.
func planFor(t *testing.T, m *machine, ud []byte) *udkit.BootPlan {
	t.Helper()
	bin := requireUdkit(t)
	f := filepath.Join(m.dir, "user-data")
	if err := os.WriteFile(f, ud, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "plan", "--json", "--cloud-cfg", filepath.Join(m.root, "etc/cloud/cloud.cfg"), f)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil // error findings: this document has some on purpose
	}
	if err != nil {
		t.Fatalf("udkit plan: %v\n%s", err, out)
	}
	var p udkit.BootPlan
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("udkit plan --json: %v\n%s", err, out)
	}
	text, _ := exec.Command(bin, "plan", "--cloud-cfg", filepath.Join(m.root, "etc/cloud/cloud.cfg"), f).Output()
	t.Logf("udkit plan:\n%s", text)
	return &p
}

// expectedMarkers is what the run actions of the plan write to orderLog,
// in order, on a boot of the given kind.
func expectedMarkers(p *udkit.BootPlan, kind bootKind) []string {
	var out []string
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			for _, a := range s.Actions {
				if kind == sameInstance && !a.EveryBoot || !runs(kind, s.Frequency) {
					continue
				}
				switch a.Kind {
				case "run-boothook":
					out = append(out, "boothook "+a.Name)
				case "run-command":
					// The plan's command must be the one that
					// wrote the marker.
					tag := "?"
					if g := reBootcmd.FindStringSubmatch(a.Command); g != nil {
						tag = g[1]
					}
					out = append(out, "bootcmd "+tag)
				case "run-script":
					kind := path.Base(path.Dir(a.File))
					if kind == "scripts" {
						kind = "script"
					}
					out = append(out, kind+" "+a.Name)
				}
			}
		}
	}
	return out
}

// moduleEvent is one module run of cloud-init.log.
type moduleEvent struct {
	stage, module, freq, result string
}

var (
	reBootcmd = regexp.MustCompile(`^echo "bootcmd (\w+)" >> `)
	reStart   = regexp.MustCompile(`start: (init-local|init-network|modules-config|modules-final)/config-(\S+): running config-\S+ with frequency (\S+)`)
	reFinish  = regexp.MustCompile(`finish: (init-local|init-network|modules-config|modules-final)/config-(\S+): \w+: config-\S+ (ran successfully|previously ran)`)
	reBoot    = regexp.MustCompile(`Cloud-init v\. \S+ running 'init-local'`)
)

// moduleEvents reads cloud-init.log into the module runs of each boot.
func moduleEvents(t *testing.T, log string) [][]moduleEvent {
	var boots [][]moduleEvent
	open := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if reBoot.MatchString(l) {
			boots = append(boots, nil)
			open = map[string]int{}
			continue
		}
		if len(boots) == 0 {
			continue
		}
		b := &boots[len(boots)-1]
		if g := reStart.FindStringSubmatch(l); g != nil {
			open[g[1]+"/"+g[2]] = len(*b)
			*b = append(*b, moduleEvent{stage: g[1], module: g[2], freq: g[3]})
		} else if g := reFinish.FindStringSubmatch(l); g != nil {
			if i, ok := open[g[1]+"/"+g[2]]; ok {
				(*b)[i].result = g[3]
			}
		}
	}
	return boots
}

// checkModules compares the plan's module steps with one boot's events.
func checkModules(t *testing.T, p *udkit.BootPlan, events []moduleEvent, boot int, kind bootKind) {
	t.Helper()
	for _, st := range p.Stages {
		var got []moduleEvent
		for _, e := range events {
			if e.stage == st.Name {
				got = append(got, e)
			}
		}
		j := 0
		for _, s := range st.Steps {
			if s.Module == "user-data" {
				continue
			}
			for j < len(got) && got[j].module != s.Module {
				j++
			}
			if j == len(got) {
				t.Errorf("boot %d: %s: module %s of the plan did not run (or not in the plan's order); cloud-init ran %v", boot, st.Name, s.Module, got)
				break
			}
			e := got[j]
			if e.freq != s.Frequency {
				t.Errorf("boot %d: %s: %s ran with frequency %s, plan says %s", boot, st.Name, s.Module, e.freq, s.Frequency)
			}
			want := "ran successfully"
			if !runs(kind, s.Frequency) {
				want = "previously ran"
			}
			if e.result != want {
				t.Errorf("boot %d: %s: config-%s %q, want %q", boot, st.Name, s.Module, e.result, want)
			}
		}
	}
}

func (m *machine) lines(p string) []string {
	s := strings.TrimSpace(m.file(p))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// dir1 lists a directory of the running machine (inside it: the paths
// hold absolute symbolic links, /var/lib/cloud/instance).
func (m *machine) dir1(p string) []string {
	// A directory cloud-init never made holds nothing.
	out, err := m.exec("sh", "-c", `test -d "$1" || exit 0; ls -1A "$1"`, "sh", p)
	if err != nil {
		m.t.Errorf("ls %s: %v: %s", p, err, out)
		return nil
	}
	names := strings.Fields(string(out))
	sort.Strings(names)
	return names
}

// mtime is a file's modification time, in the machine.
func (m *machine) mtime(p string) time.Time {
	out, err := m.exec("date", "-r", p, "+%s.%N")
	if err != nil {
		m.t.Fatalf("date -r %s: %v: %s", p, err, out)
	}
	sec, nsec, _ := strings.Cut(strings.TrimSpace(string(out)), ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	n, err2 := strconv.ParseInt(nsec, 10, 64)
	if err1 != nil || err2 != nil {
		m.t.Fatalf("date -r %s: %q", p, out)
	}
	return time.Unix(s, n)
}

func (m *machine) exists(p string) bool {
	_, err := m.exec("test", "-e", p)
	return err == nil
}

// written is a file the plan writes with write_files.
type written struct {
	file, mode, owner, stage string
	every                    bool
}

// planFacts are the parts of a plan checkPlan compares with a machine.
type planFacts struct {
	scripts, hooks []string
	files          []written
	arm            *udkit.PlanAction
	runcmd         *udkit.PlanAction
}

func factsOf(p *udkit.BootPlan) planFacts {
	var f planFacts
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			for i, a := range s.Actions {
				switch {
				case a.Kind == "run-script" && moduleID(s.Module) == "scripts_user":
					f.scripts = append(f.scripts, a.Name)
				case a.Kind == "run-boothook":
					f.hooks = append(f.hooks, a.Name)
				case a.Kind == "write-file":
					f.files = append(f.files, written{a.File, a.Mode, a.Owner, st.Name, a.EveryBoot})
				case a.Kind == "arm-stop-hook":
					f.arm = &s.Actions[i]
				case a.Kind == "write-script" && a.Name == "runcmd" && st.Name != udkit.StageNetwork:
					f.runcmd = &s.Actions[i]
				}
			}
		}
	}
	sort.Strings(f.scripts)
	sort.Strings(f.hooks)
	return f
}

func moduleID(name string) string { return strings.ReplaceAll(name, "-", "_") }

// checkPlan compares `udkit plan --json` of the machine's user data (its
// NoCloud seed) with what cloud-init did on the boot that just finished
// (the machine's boot number m.boots): the module events of
// cloud-init.log, the scripts and boothooks directories, the runcmd
// script's text, and after the first boot the mode, owner and stage of
// every write_files file; and whether the stop hook is active. It needs
// no cooperation from the user data, so any scenario can call it after
// m.boot() or m.reboot(). It returns the plan.
func checkPlan(t *testing.T, m *machine) *udkit.BootPlan {
	t.Helper()
	kind := sameInstance
	if m.boots == 1 {
		kind = firstBoot
	}
	return checkPlanAt(t, m, kind)
}

// bootKind says which boot of its instance a boot is.
type bootKind int

const (
	firstBoot    bootKind = iota // the first boot of the machine
	sameInstance                 // a later boot, same instance ID
	newInstance                  // a later boot with a new instance ID
)

// runs reports whether a step of frequency freq runs on a boot of kind.
func runs(kind bootKind, freq string) bool {
	switch kind {
	case firstBoot:
		return true
	case newInstance:
		return freq != udkit.FreqOnce
	}
	return freq == udkit.FreqAlways
}

// checkPlanAt is checkPlan for a boot of the given kind.
func checkPlanAt(t *testing.T, m *machine, kind bootKind) *udkit.BootPlan {
	t.Helper()
	ud, err := os.ReadFile(filepath.Join(m.seed, "user-data"))
	if err != nil {
		t.Fatal(err)
	}
	p := planFor(t, m, ud)
	boot := m.boots
	boots := moduleEvents(t, m.file("/var/log/cloud-init.log"))
	if len(boots) != boot {
		t.Fatalf("cloud-init.log: %d boots, want %d", len(boots), boot)
	}
	checkModules(t, p, boots[boot-1], boot, kind)

	f := factsOf(p)
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			for _, a := range s.Actions {
				if a.Kind == "run-script" && moduleID(s.Module) != "scripts_user" {
					if got := m.dir1(path.Dir(a.File)); !slices.Contains(got, a.Name) {
						t.Errorf("boot %d: %s: %s not there (has %q)", boot, path.Dir(a.File), a.Name, got)
					}
				}
			}
		}
	}
	if got := m.dir1("/var/lib/cloud/instance/scripts"); !slices.Equal(got, f.scripts) {
		t.Errorf("boot %d: /var/lib/cloud/instance/scripts holds %q, plan says %q", boot, got, f.scripts)
	}
	if got := m.dir1("/var/lib/cloud/instance/boothooks"); !slices.Equal(got, f.hooks) {
		t.Errorf("boot %d: /var/lib/cloud/instance/boothooks holds %q, plan says %q", boot, got, f.hooks)
	}
	// The runcmd script holds the plan's commands, as cloud-init wrote
	// them.
	if a := f.runcmd; a != nil {
		out, err := m.exec("cat", a.File)
		if want := "#!/bin/sh\n" + a.Command + "\n"; err != nil || string(out) != want {
			t.Errorf("%s holds %q (%v), plan says %q", a.File, out, err, want)
		}
	}
	if kind != sameInstance {
		var configStage time.Time // runcmd's script is written in modules-config
		if f.runcmd != nil {
			configStage = m.mtime(f.runcmd.File)
		}
		for _, w := range f.files {
			out, err := m.exec("stat", "-c", "%a %U:%G", w.file)
			if err != nil {
				t.Errorf("%s: %v: %s", w.file, err, out)
				continue
			}
			if got, want := strings.TrimSpace(string(out)), strings.TrimLeft(w.mode, "0")+" "+w.owner; got != want {
				t.Errorf("%s: mode and owner %q, plan says %q", w.file, got, want)
			}
			if configStage.IsZero() {
				continue
			}
			mt := m.mtime(w.file)
			switch w.stage {
			case udkit.StageNetwork:
				if !mt.Before(configStage) {
					t.Errorf("%s written at %s, not before the config stage (%s), where the plan has it (init-network)", w.file, mt, configStage)
				}
			case udkit.StageFinal:
				if !mt.After(configStage) {
					t.Errorf("%s written at %s, not after the config stage (%s), where the plan has it (modules-final)", w.file, mt, configStage)
				}
			default:
				t.Errorf("%s: plan writes it in %s", w.file, w.stage)
			}
		}
	}
	if a := f.arm; a != nil {
		want := kind != sameInstance || a.EveryBoot
		out, _ := m.exec("systemctl", "is-active", a.Name)
		if got := strings.TrimSpace(string(out)) == "active"; got != want {
			t.Errorf("boot %d: %s is %s; plan says armed=%v", boot, a.Name, strings.TrimSpace(string(out)), want)
		}
	}
	return p
}

// TestPlanMatchesBoot boots planDocument, whose every command writes a
// marker, and checks the plan against the boot and a reboot.
func TestPlanMatchesBoot(t *testing.T) {
	ud := planDocument(t)
	m := newMachine(t)
	m.writeSeed(seedData{instanceID: "iid-" + m.name, userData: ud})
	m.boot()
	p := checkPlan(t, m)

	// The plan itself: the replaced bootcmd is a finding.
	replaced := false
	for _, d := range p.Findings {
		replaced = replaced || d.Rule == udkit.RulePlanReplaced && d.Path == "bootcmd"
	}
	if !replaced {
		t.Errorf("plan: no %s finding for the first part's bootcmd; findings: %v", udkit.RulePlanReplaced, p.Findings)
	}
	// Boot 1: markers in the plan's order.
	if got, want := m.lines(orderLog), expectedMarkers(p, firstBoot); !slices.Equal(got, want) {
		t.Errorf("boot 1: what ran, in order:\n got %q\nplan %q", got, want)
	}
	f := factsOf(p)
	for _, want := range []string{"/etc/plan/early", "/etc/plan/late", "/etc/plan/default"} {
		if !slices.ContainsFunc(f.files, func(w written) bool { return w.file == want }) {
			t.Errorf("plan does not write %s: %+v", want, f.files)
		}
	}
	if f.arm == nil || f.runcmd == nil {
		t.Fatalf("plan does not arm the stop hook or write runcmd:\n%+v", f)
	}

	// Boot 2: forget the markers and the written files (not the stop
	// hook's unit), reboot.
	args := []string{"rm", "-f", orderLog}
	var removed []written
	for _, w := range f.files {
		if w.file != f.arm.File {
			args = append(args, w.file)
			removed = append(removed, w)
		}
	}
	if out, err := m.exec(args...); err != nil {
		t.Fatalf("rm: %v: %s", err, out)
	}
	m.exec("sync")
	m.reboot()
	checkPlan(t, m)
	if got, want := m.lines(orderLog), expectedMarkers(p, sameInstance); !slices.Equal(got, want) {
		t.Errorf("boot 2: what ran, in order:\n got %q\nplan %q", got, want)
	}
	for _, w := range removed {
		if back := m.exists(w.file); back != w.every {
			t.Errorf("boot 2: %s written again: %v; plan says every boot: %v", w.file, back, w.every)
		}
	}

	// Boot 3, a new instance ID: once-per-instance steps run again,
	// once steps do not, and the files come back.
	if out, err := m.exec(args...); err != nil {
		t.Fatalf("rm: %v: %s", err, out)
	}
	m.writeSeed(seedData{instanceID: "iid2-" + m.name, userData: ud})
	m.exec("sync")
	m.reboot()
	checkPlanAt(t, m, newInstance)
	if got, want := m.lines(orderLog), expectedMarkers(p, newInstance); !slices.Equal(got, want) {
		t.Errorf("boot 3 (new instance): what ran, in order:\n got %q\nplan %q", got, want)
	}
	for _, w := range removed {
		if !m.exists(w.file) {
			t.Errorf("boot 3 (new instance): %s not written again (write_files runs once per instance)", w.file)
		}
	}
	m.poweroff()
	want := 2 // at both reboots
	if f.arm.EveryBoot {
		want++ // and at the poweroff
	}
	if n := len(m.lines("/var/log/plan-stop")); n != want {
		t.Errorf("the stop hook's ExecStop= ran %d times, the plan says %d", n, want)
	}
}

// The plan of the other e2e scenarios' user data matches their boots:
// the canonical hook written by a plain cloud-config, and udkit's
// registry hook registering on every boot, each booted and rebooted.
func TestPlanMatchesScenarios(t *testing.T) {
	t.Run("canonical-hook", func(t *testing.T) {
		text, arm, _ := stopHook(t, unit.StopHookConfig{Stop: []string{probePath, "mount", "network"}, Mounts: []string{mountPoint}}, nil)
		m, _ := bootWithReceiver(t, func(url string) []byte { return hookUserData(t, url, text, arm, false) })
		checkPlan(t, m)
		m.reboot()
		checkPlan(t, m)
	})
	t.Run("registry-hook-every-boot", func(t *testing.T) {
		m, _ := bootManaged(t, registryHook(true), udkit.Options{})
		checkPlan(t, m)
		m.reboot()
		checkPlan(t, m)
	})
}
