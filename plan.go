package udkit

import (
	"bytes"
	"fmt"
	"math/big"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/userdata"
)

// PlanSchema is the version of [BootPlan]'s JSON form. It changes only
// when a field is removed or changes meaning; new fields may be added.
const PlanSchema = 1

// PlanOptions configure [Plan].
type PlanOptions struct {
	// CloudCfg gives the image's module lists; nil means
	// [DebianBookworm].
	CloudCfg *CloudCfg
	// Limits bound the decoding, as for [userdata.Decode].
	Limits userdata.Limits
}

// BootPlan is what cloud-init will do with a user-data document on the
// first boot of an instance and on the boots after it, stage by stage, and
// what it will not do. Its JSON form (the output of udkit plan --json) is
// documented on each field and pinned by the tests; field order is fixed.
type BootPlan struct {
	// Schema is [PlanSchema].
	Schema int `json:"schema"`
	// CloudCfg says where the module lists come from and the versions
	// they hold for.
	CloudCfg PlanCloudCfg `json:"cloud_cfg"`
	// Parts are the user data's parts and what cloud-init's handlers do
	// with each.
	Parts []PlanPart `json:"parts"`
	// Stages are cloud-init's four stages in boot order: init-local,
	// init-network, modules-config, modules-final.
	Stages []PlanStage `json:"stages"`
	// Findings are what will not happen, and why, in part order.
	Findings diag.List `json:"findings"`
}

// PlanCloudCfg describes the module lists a plan was made with.
type PlanCloudCfg struct {
	Source   string `json:"source"`
	Versions string `json:"versions,omitempty"`
}

// PlanPart is one part of the user data as cloud-init's handlers see it.
type PlanPart struct {
	// Index is the 1-based part number, as udkit inspect counts.
	Index int `json:"index"`
	// ContentType is the type cloud-init acts on.
	ContentType string `json:"content_type"`
	// Name is cloud-init's filename for the part: its Content-Disposition
	// filename, or part-NNN (NNN its 1-based position among the parts
	// cloud-init attaches) when it has none.
	Name string `json:"name"`
	// Handler is what acts on the part: cloud-config, shell-script,
	// shell-script-per-boot, shell-script-per-instance,
	// shell-script-per-once, boothook, jinja, part-handler, include,
	// archive, jsonp, or none.
	Handler string `json:"handler"`
	// File is where the handler writes the part on the instance (scripts
	// and boothooks), else empty.
	File string `json:"file,omitempty"`
	// Effect is one of: merged (into the cloud-config), script (written,
	// run later by a scripts module), boothook (written and run at once,
	// every boot), ignored (nothing acts on it; see Findings), unknown
	// (acted on at boot in a way udkit does not model; see Findings).
	Effect string `json:"effect"`
	// Archive is set on a part made of an entry of a
	// #cloud-config-archive: which part and entry.
	Archive *PlanArchive `json:"archive,omitempty"`
}

// PlanStage is one cloud-init stage.
type PlanStage struct {
	// Name is init-local, init-network, modules-config or modules-final.
	Name string `json:"name"`
	// Unit is the systemd unit that runs the stage.
	Unit string `json:"unit"`
	// Steps are what the stage does with the user data, in order.
	Steps []PlanStep `json:"steps"`
}

// PlanStep is the user-data handlers of the init-network stage (module
// "user-data") or one module of the stage's list that acts on the user
// data.
type PlanStep struct {
	// Module is the module's name as in cloud.cfg ("write-files"), or
	// "user-data" for the part handlers.
	Module string `json:"module"`
	// Frequency is always, once-per-instance or once.
	Frequency string `json:"frequency"`
	// Actions are what the step does, in order.
	Actions []PlanAction `json:"actions"`
}

// PlanAction is one thing a step does.
type PlanAction struct {
	// Kind is one of: merge-config, write-script, run-boothook,
	// run-command, write-file, run-script, mount, swap, update-packages,
	// upgrade-packages, install-package, power-state, final-message,
	// arm-stop-hook, read-keys.
	Kind string `json:"kind"`
	// Part is the 1-based part the action comes from, 0 for none (the
	// runcmd script in scripts-user).
	Part int `json:"part,omitempty"`
	// From is the YAML path in the merged cloud-config the action comes
	// from ("write_files[1]", "runcmd"), empty for parts.
	From string `json:"from,omitempty"`
	// Name is the script's or boothook's file name, or the package name.
	Name string `json:"name,omitempty"`
	// File is the file written or run on the instance.
	File string `json:"file,omitempty"`
	// Mode and Owner are a written file's permissions ("0644") and
	// owner ("root:root").
	Mode  string `json:"mode,omitempty"`
	Owner string `json:"owner,omitempty"`
	// Append is set when write_files appends to the file.
	Append bool `json:"append,omitempty"`
	// Command is a command line as cloud-init writes it into the script
	// it runs (util.shellify: a list's words each in single quotes); for
	// the runcmd script, its lines.
	Command string `json:"command,omitempty"`
	// Position is a script's 1-based place in its scripts module's run.
	Position int `json:"position,omitempty"`
	// Detail says more, in words.
	Detail string `json:"detail,omitempty"`
	// EveryBoot is set when the action happens again on every later boot
	// of the same instance.
	EveryBoot bool `json:"every_boot"`
}

// Rule ids of the findings of [Plan].
const (
	RulePlanIgnored     = "plan-ignored"
	RulePlanReplaced    = "plan-replaced"
	RulePlanDropped     = "plan-dropped"
	RulePlanBadPart     = "plan-bad-part"
	RulePlanNotFetched  = "plan-not-fetched"
	RulePlanNotRendered = "plan-not-rendered"
	RulePlanOverwritten = "plan-overwritten"
	RulePlanNoModule    = "plan-no-module"
	RulePlanUnknownKey  = "plan-unknown-key"
	RulePlanNotRun      = "plan-not-run"
	RulePlanModuleLists = "plan-module-lists"
	RulePlanStopHook    = "plan-stop-hook"
)

// PlanRules documents the rules of [Plan]'s findings.
func PlanRules() []diag.Rule {
	return []diag.Rule{
		{ID: RulePlanIgnored, Severity: diag.Error, Doc: "a part no handler acts on (text/plain, an unknown type, an unrecognised first line): cloud-init logs it as unhandled and ignores it."},
		{ID: RulePlanReplaced, Severity: diag.Error, Doc: "a later cloud-config part replaces a key set by an earlier one (no merge type, or one that replaces): the earlier value is lost."},
		{ID: RulePlanDropped, Severity: diag.Warning, Doc: "a later cloud-config part's value for a key is dropped by its merge type (no_replace)."},
		{ID: RulePlanBadPart, Severity: diag.Error, Doc: "a part cloud-init fails on: cloud-config that does not load or merge, a script without #!, a file name that cleans to nothing."},
		{ID: RulePlanNotFetched, Severity: diag.Warning, Doc: "include parts (and an archive too large for the document budget): cloud-init fetches or expands them at boot, the plan does not (udkit inspect lists an include's URLs), so what they hold is not in the plan. Archives are expanded into the parts cloud-init makes of their entries."},
		{ID: RulePlanNotRendered, Severity: diag.Warning, Doc: "a jinja template, a JSON patch or a part handler: acted on at boot with instance data or code udkit does not run."},
		{ID: RulePlanOverwritten, Severity: diag.Error, Doc: "two parts get the same file name on the instance: the later overwrites the earlier, which never runs."},
		{ID: RulePlanNoModule, Severity: diag.Error, Doc: "the user data needs a module the image's cloud.cfg does not list (scripts-user for scripts and runcmd, ...): it never acts."},
		{ID: RulePlanUnknownKey, Severity: diag.Info, Doc: "a top-level cloud-config key no module udkit knows reads (a datasource or distro setting, or a typo)."},
		{ID: RulePlanNotRun, Severity: diag.Error, Doc: "an entry a module skips: a write_files entry without a path."},
		{ID: RulePlanModuleLists, Severity: diag.Info, Doc: "the user data sets a module list itself, which replaces the image's."},
		{ID: RulePlanStopHook, Severity: diag.Warning, Doc: "a systemd unit with ExecStop= written by write_files that nothing starts on the first boot: its ExecStop= does not run at the first shutdown."},
	}
}

// Where cloud-init 22.4 and 25.1 put things (paths.get_ipath_cur,
// get_cpath).
const (
	instanceScripts = "/var/lib/cloud/instance/scripts"
	boothooksDir    = "/var/lib/cloud/instance/boothooks"
	cloudScripts    = "/var/lib/cloud/scripts"
)

// cleanFilename is cloud-init's util.clean_filename: "/" becomes "_",
// every character other than ASCII letters, digits and _-.() is removed,
// then surrounding white space (none is left) is stripped.
func cleanFilename(fn string) string {
	fn = strings.ReplaceAll(fn, "/", "_")
	var b strings.Builder
	for _, r := range fn {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.()", r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// planner holds the state of one Plan call.
type planner struct {
	cfg           *CloudCfg
	parts         []userdata.Part
	out           *BootPlan
	labels        []string
	merged        map[string]any
	ok            bool           // at least one cloud-config part merged
	setBy         map[string]int // top-level key -> last part that set it
	scripts       map[string]int // instance script name -> part
	perFreq       map[string]map[string]int
	hooks         map[string]int
	runcmdWritten bool         // the runcmd module has written its script
	budget        *Budget      // of the document: opts.Limits.Budget, or nil
	uncertOK      bool         // false once an include or archive part makes part-NNN names uncertain
	src           []planSource // where each of parts comes from (archives expanded)
	failed        int          // the part whose archive makes cloud-init consume no user data, 0 if none
	failErr       error        // why
}

// Plan decodes user data (anything udkit inspect accepts) and returns what
// cloud-init will do with it, stage by stage, on the first boot and on the
// later boots of the same instance, and what it will not do.
//
// The plan follows cloud-init's source (22.4 and 25.1 behave the same
// here): in the init-network stage the user-data handlers walk the parts
// in order on every boot, merging cloud-config parts (default merge
// dict(replace)+list()+str(): a later part's key replaces an earlier
// one's), writing shell scripts to /var/lib/cloud/instance/scripts/NAME and
// per-boot/per-instance/per-once scripts to /var/lib/cloud/scripts/per-*/
// NAME, and writing and running boothooks at once; then each stage runs
// its modules in the image's order, each at its frequency. runcmd writes
// its commands as the script "runcmd", which scripts-user runs in the
// final stage among the script parts, all sorted by file name.
//
// Plan fails only when the data cannot be decoded; everything cloud-init
// would skip, ignore or lose is a finding.
func Plan(data []byte, opts PlanOptions) (*BootPlan, error) {
	if opts.Limits.Budget == nil {
		// One budget for decoding and every cloud-config part.
		opts.Limits.Budget = NewBudget()
	}
	d, err := userdata.Decode(data, opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("udkit: plan: %w", err)
	}
	return PlanDocument(d.Parts, opts), nil
}

// PlanDocument is [Plan] on parts already decoded.
func PlanDocument(parts []userdata.Part, opts PlanOptions) *BootPlan {
	cfg := opts.CloudCfg
	if cfg == nil {
		cfg = DebianBookworm()
	}
	p := &planner{
		cfg:      cfg,
		parts:    parts,
		out:      &BootPlan{Schema: PlanSchema, CloudCfg: PlanCloudCfg{Source: cfg.Source, Versions: cfg.Versions}, Parts: []PlanPart{}, Findings: diag.List{}},
		merged:   map[string]any{},
		setBy:    map[string]int{},
		scripts:  map[string]int{},
		perFreq:  map[string]map[string]int{},
		hooks:    map[string]int{},
		uncertOK: true,
		budget:   opts.Limits.Budget,
	}
	if p.budget == nil {
		p.budget = NewBudget() // bounds the archives' expansion
	}
	p.run()
	return p.out
}

func (p *planner) find(part int, path string, sev diag.Severity, rule, format string, args ...any) {
	d := diag.Diagnostic{Part: part, Path: path, Severity: sev, Rule: rule, Message: fmt.Sprintf(format, args...)}
	if part > 0 {
		d.PartLabel = p.labels[part-1]
	}
	p.out.Findings = append(p.out.Findings, d)
}

func partLabel(pt userdata.Part) string {
	if pt.Filename == "" {
		return diag.Escape(pt.ContentType)
	}
	return diag.Escape(pt.ContentType) + " " + diag.Quote(pt.Filename)
}

func (p *planner) run() {
	p.expandArchives()
	units := p.cfg.Units
	stages := []PlanStage{
		{Name: StageLocal, Unit: units[0], Steps: []PlanStep{}},
		{Name: StageNetwork, Unit: units[1], Steps: []PlanStep{}},
		{Name: StageConfig, Unit: units[2], Steps: []PlanStep{}},
		{Name: StageFinal, Unit: units[3], Steps: []PlanStep{}},
	}
	consume := PlanStep{Module: "user-data", Frequency: FreqAlways, Actions: []PlanAction{}}
	attached := 0
	for i, pt := range p.parts {
		n := i + 1
		pp := PlanPart{Index: n, ContentType: pt.ContentType, Archive: p.src[i].archive}
		ct := pt.ContentType
		if p.failed > 0 || ct == userdata.ContentCloudConfigArchive {
			if ct == userdata.ContentCloudConfigArchive && p.src[i].archive == nil {
				p.archivePart(n, &pp)
			} else {
				pp.Handler, pp.Effect = "none", "ignored"
			}
			p.out.Parts = append(p.out.Parts, pp)
			continue
		}
		if ct == userdata.ContentIncludeURL || ct == userdata.ContentIncludeOnceURL {
			// Not attached: cloud-init replaces the part by what it
			// fetches or holds.
			pp.Handler, pp.Effect = "include", "unknown"
			p.find(n, "", diag.Warning, RulePlanNotFetched, "cloud-init fetches the URLs it lists and acts on what they return at boot; the plan does not (udkit inspect lists an include's URLs), so their effects are not in this plan, and the part-NNN names of later parts without a filename shift by the number of parts it yields")
			p.uncertOK = false
			p.out.Parts = append(p.out.Parts, pp)
			continue
		}
		attached++
		pp.Name = pt.Filename
		if pp.Name == "" {
			pp.Name = fmt.Sprintf("part-%03d", attached)
		}
		p.part(n, pt, &pp, &consume)
		p.out.Parts = append(p.out.Parts, pp)
	}
	stages[1].Steps = append(stages[1].Steps, consume)

	// The merged config may set the module lists itself.
	lists := [3][]ModuleEntry{p.cfg.Init, p.cfg.Config, p.cfg.Final}
	for k, key := range moduleListKeys {
		if v, ok := p.merged[key]; ok {
			l, err := moduleList(v)
			if err != nil {
				p.find(p.setBy[key], key, diag.Error, RulePlanBadPart, "cloud-init cannot read this module list: %s", err)
				continue
			}
			lists[k] = l
			p.find(p.setBy[key], key, diag.Info, RulePlanModuleLists, "replaces the image's %s: the plan uses this list", key)
		}
	}
	listed := map[string]bool{}
	for _, l := range lists {
		for _, e := range l {
			listed[e.ID] = true
		}
	}
	for k, l := range lists {
		st := &stages[k+1]
		seen := map[string]bool{}
		for _, e := range l {
			if seen[e.ID] {
				// cloud-init runs a module once per stage: the
				// semaphore of the second run is already there
				// (unless always), so plan shows it once.
				continue
			}
			seen[e.ID] = true
			if step, ok := p.module(e, listed); ok {
				st.Steps = append(st.Steps, step)
			}
		}
	}
	p.out.Stages = stages
	p.checkNeeds(listed)
	p.stopHooks()
	p.unknownKeys(listed)
	p.out.Findings.Sort()
}

// part runs the handler of one attached part.
func (p *planner) part(n int, pt userdata.Part, pp *PlanPart, consume *PlanStep) {
	body := pt.Body
	switch pt.ContentType {
	case userdata.ContentCloudConfig:
		pp.Handler = "cloud-config"
		pp.Effect = "merged"
		if !p.mergePart(n, pt) {
			pp.Effect = "ignored"
			return
		}
		consume.Actions = append(consume.Actions, PlanAction{Kind: "merge-config", Part: n, Name: pp.Name, Detail: "merged into /var/lib/cloud/instance/cloud-config.txt with " + mergeLabel(pt), EveryBoot: true})
	case userdata.ContentShellScript:
		pp.Handler, pp.Effect = "shell-script", "script"
		name := cleanFilename(pp.Name)
		if !p.scriptOK(n, name, body) {
			pp.Effect = "ignored"
			return
		}
		pp.File = instanceScripts + "/" + name
		if prev, ok := p.scripts[name]; ok {
			p.find(prev, "", diag.Error, RulePlanOverwritten, "its script %s is overwritten by part %d's, which has the same name: it never runs; give the parts different filenames", diag.Quote(name), n)
		}
		p.scripts[name] = n
		consume.Actions = append(consume.Actions, PlanAction{Kind: "write-script", Part: n, Name: name, File: pp.File, Mode: "0700", Detail: "run once per instance by scripts-user in " + StageFinal, EveryBoot: true})
	case userdata.ContentShellScriptPerBoot, userdata.ContentShellScriptPerInst, userdata.ContentShellScriptPerOnce:
		sub := strings.TrimPrefix(pt.ContentType, "text/x-shellscript-")
		pp.Handler, pp.Effect = "shell-script-"+sub, "script"
		// write_script_by_frequency takes the base name first.
		name := pp.Name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:] // os.path.basename
		}
		name = cleanFilename(name)
		if !p.scriptOK(n, name, body) {
			pp.Effect = "ignored"
			return
		}
		pp.File = cloudScripts + "/" + sub + "/" + name
		if p.perFreq[sub] == nil {
			p.perFreq[sub] = map[string]int{}
		}
		if prev, ok := p.perFreq[sub][name]; ok {
			p.find(prev, "", diag.Error, RulePlanOverwritten, "its %s script %s is overwritten by part %d's, which has the same name: it never runs", sub, diag.Quote(name), n)
		}
		p.perFreq[sub][name] = n
		consume.Actions = append(consume.Actions, PlanAction{Kind: "write-script", Part: n, Name: name, File: pp.File, Mode: "0700", Detail: "run by scripts-" + sub + " in " + StageFinal, EveryBoot: true})
	case userdata.ContentBoothook:
		pp.Handler, pp.Effect = "boothook", "boothook"
		name := cleanFilename(pp.Name)
		if name == "" {
			p.find(n, "", diag.Error, RulePlanBadPart, "its filename cleans to nothing (cloud-init keeps only ASCII letters, digits and _-.()): cloud-init cannot write the boothook")
			pp.Effect = "ignored"
			return
		}
		pp.File = boothooksDir + "/" + name
		// strip_prefix_suffix(dos2unix(payload), "#cloud-boothook"),
		// then lstrip.
		s := strings.ReplaceAll(string(body), "\r\n", "\n")
		s = strings.TrimPrefix(s, "#cloud-boothook")
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		if !strings.HasPrefix(s, "#!") {
			p.find(n, "", diag.Error, RulePlanBadPart, "after its #cloud-boothook line the boothook does not start with #!: cloud-init cannot execute it (Exec format error) and logs an error on every boot; add a #!/bin/sh line")
		}
		if prev, ok := p.hooks[name]; ok {
			p.find(prev, "", diag.Warning, RulePlanOverwritten, "its boothook file %s is rewritten by part %d's (both still run, each when its part is reached)", diag.Quote(name), n)
		}
		p.hooks[name] = n
		consume.Actions = append(consume.Actions, PlanAction{Kind: "run-boothook", Part: n, Name: name, File: pp.File, Mode: "0700", Detail: "written and run at once, with INSTANCE_ID in the environment, before any module of the stage", EveryBoot: true})
	case userdata.ContentJinja2:
		pp.Handler, pp.Effect = "jinja", "unknown"
		p.find(n, "", diag.Warning, RulePlanNotRendered, "a jinja template: cloud-init renders it at boot with the instance's data and hands the result to the cloud-config or shell-script handler; udkit does not render it, so its effects are not in this plan")
	case userdata.ContentCloudConfigJSONP:
		pp.Handler, pp.Effect = "jsonp", "unknown"
		p.find(n, "", diag.Warning, RulePlanNotRendered, "a JSON patch on the merged cloud-config: cloud-init applies it at boot; udkit does not, so the plan's cloud-config lacks its changes")
	case userdata.ContentPartHandler:
		pp.Handler, pp.Effect = "part-handler", "unknown"
		p.find(n, "", diag.Warning, RulePlanNotRendered, "a Python part handler: cloud-init loads it at boot and hands it the parts of the types it lists; udkit does not run it, so those parts' effects are not in this plan")
	default:
		pp.Handler, pp.Effect = "none", "ignored"
		why := "no handler acts on " + diag.Quote(pt.ContentType)
		switch pt.ContentType {
		case userdata.ContentNotMultipart:
			why = "the document is not MIME and its first line is not one cloud-init recognises (#cloud-config, #!, #cloud-boothook, #include, ...)"
		case userdata.ContentPlain:
			why = "a text/plain part whose first line cloud-init does not recognise"
		}
		if len(body) == 0 {
			p.find(n, "", diag.Warning, RulePlanIgnored, "empty part: %s; cloud-init ignores it", why)
			return
		}
		p.find(n, "", diag.Error, RulePlanIgnored, "%s: cloud-init logs it as unhandled and ignores it; give it a content type or first line cloud-init acts on", why)
	}
	if !p.uncertOK && p.parts[n-1].Filename == "" && pp.File != "" {
		p.find(n, "", diag.Warning, RulePlanNotFetched, "its name %s assumes the include or archive parts before it yield nothing; give it a filename", pp.Name)
	}
}

func mergeLabel(pt userdata.Part) string {
	if pt.MergeType == "" {
		return "the default merge " + defaultMerge
	}
	return "merge type " + diag.Quote(pt.MergeType)
}

// scriptOK checks what makes cloud-init fail on a script part.
func (p *planner) scriptOK(n int, name string, body []byte) bool {
	if name == "" {
		p.find(n, "", diag.Error, RulePlanBadPart, "its filename cleans to nothing (cloud-init keeps only ASCII letters, digits and _-.()): cloud-init cannot write the script; give it a plain filename")
		return false
	}
	if !bytes.HasPrefix(body, []byte("#!")) {
		p.find(n, "", diag.Error, RulePlanBadPart, "the script does not start with #!: it is written but cannot be executed (Exec format error); add a #!/bin/sh line")
	}
	return true
}

// mergePart merges a cloud-config part as handlers/cloud_config.py does
// and reports keys lost on the way. It returns false when cloud-init
// ignores the part.
func (p *planner) mergePart(n int, pt userdata.Part) bool {
	body := pt.Body
	if !bytes.HasPrefix(bytes.TrimLeft(bytes.ToLower(body[:min(len(body), 64)]), " \t\r\n\v\f"), []byte("#cloud-config")) {
		// A part declared text/cloud-config without the header: the
		// handler loads the YAML all the same.
		body = append([]byte("#cloud-config\n"), body...)
	}
	var within []cloudconfig.Option
	if p.budget != nil {
		within = append(within, cloudconfig.WithBudget(p.budget))
	}
	c, err := cloudconfig.Parse(body, within...)
	var v map[string]any
	if err == nil {
		v, err = c.Value()
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "cloudconfig: ")
		p.find(n, "", diag.Error, RulePlanBadPart, "udkit cannot read this cloud-config (%s), so the plan leaves it out: cloud-init ignores a part whose YAML does not load or is not a mapping, but loads some that udkit refuses (of duplicate keys it keeps the last); fix the part", diag.Escape(msg))
		return false
	}
	var parsed [][2]any
	for _, k := range []string{"merge_how", "merge_type"} {
		if mv, ok := v[k]; ok {
			delete(v, k)
			parsed, err = parseMergeValue(mv)
			if err != nil {
				p.find(n, k, diag.Error, RulePlanBadPart, "cloud-init cannot read this merge type (%s) and ignores the whole part", diag.Escape(err.Error()))
				return false
			}
			break
		}
	}
	if pt.MergeType != "" {
		h, err := parseMergeString(pt.MergeType)
		if err != nil {
			p.find(n, "", diag.Error, RulePlanBadPart, "cloud-init cannot read the part's merge type header (%s) and ignores the whole part", diag.Escape(err.Error()))
			return false
		}
		parsed = append(parsed, h...)
	}
	if len(parsed) == 0 {
		parsed, _ = parseMergeString(defaultMerge)
	}
	spec, err := construct(parsed)
	if err != nil {
		p.find(n, "", diag.Error, RulePlanBadPart, "cloud-init fails on this merge type (%s) and ignores the whole part", diag.Escape(err.Error()))
		return false
	}
	old := p.merged
	if !p.ok {
		// The handler starts from {} until a part has merged.
		old = map[string]any{}
	}
	res, err := spec.merge(old, v, 0)
	if err != nil {
		p.find(n, "", diag.Error, RulePlanBadPart, "cloud-init fails merging this part (%s) and ignores it", diag.Escape(err.Error()))
		return false
	}
	m, ok := res.(map[string]any)
	if !ok {
		m = old
	}
	for _, k := range sortedKeys(v) {
		ov, had := old[k]
		nv, has := m[k]
		switch {
		case !had:
			if has {
				p.setBy[k] = n
			}
		case !has:
			p.find(n, k, diag.Warning, RulePlanDropped, "null with allow_delete removes %s of part %d", diag.Quote(k), p.setBy[k])
		case reflect.DeepEqual(nv, ov) && !reflect.DeepEqual(ov, v[k]):
			sev := diag.Warning
			if isCollection(v[k]) {
				sev = diag.Error
			}
			p.find(n, k, sev, RulePlanDropped, "this part's %s is dropped: part %d's stays (merge type %s); to add to it use X-Merge-Type: %s", diag.Quote(k), p.setBy[k], mergeName(pt), userdata.MergeAppend)
		case !preserves(nv, ov):
			sev := diag.Warning
			if isCollection(ov) {
				sev = diag.Error
			}
			p.find(p.setBy[k], k, sev, RulePlanReplaced, "replaced by part %d's %s (merge type %s): this part's value is lost; give part %d the header X-Merge-Type: %s", n, diag.Quote(k), mergeName(pt), n, userdata.MergeAppend)
			p.setBy[k] = n
		default:
			p.setBy[k] = n
		}
	}
	p.merged = m
	p.ok = true
	return true
}

func mergeName(pt userdata.Part) string {
	if pt.MergeType == "" {
		return "default " + defaultMerge
	}
	return diag.Quote(pt.MergeType)
}

func isCollection(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return true
	}
	return false
}

// module returns the step of one module entry, and false when the module
// does not act on this user data.
func (p *planner) module(e ModuleEntry, listed map[string]bool) (PlanStep, bool) {
	info, known := modules[e.ID]
	freq := e.Frequency
	if freq == "" {
		freq = FreqInstance
	}
	again := freq == FreqAlways
	st := PlanStep{Module: e.Name, Frequency: freq, Actions: []PlanAction{}}
	add := func(a PlanAction) {
		a.EveryBoot = again
		st.Actions = append(st.Actions, a)
	}
	if known && info.activate && !p.hasAny(info.keys) {
		return st, false
	}
	switch e.ID {
	case "bootcmd":
		cmds, _ := p.commands("bootcmd")
		for _, c := range cmds {
			add(PlanAction{Kind: "run-command", Part: p.setBy["bootcmd"], From: fmt.Sprintf("bootcmd[%d]", c.index), Command: c.line})
		}
	case "write_files", "write_files_deferred":
		deferred := e.ID == "write_files_deferred"
		for i, f := range asList(p.merged["write_files"]) {
			fm, _ := f.(map[string]any)
			if pyBool(fm["defer"]) != deferred {
				continue
			}
			from := fmt.Sprintf("write_files[%d]", i)
			ps, _ := fm["path"].(string)
			if fm == nil || truthy(fm["path"]) == false {
				p.find(p.setBy["write_files"], from, diag.Error, RulePlanNotRun, "no path: cloud-init skips this entry")
				continue
			}
			if ps == "" {
				ps = fmt.Sprint(fm["path"])
			}
			abs := ps
			if !strings.HasPrefix(abs, "/") {
				abs = "/" + abs // cloud-init's working directory is /
			}
			abs = path.Clean(abs)
			if strings.HasPrefix(abs, "//") {
				abs = abs[1:]
			}
			owner := "root:root"
			if o, ok := fm["owner"]; ok && o != nil {
				owner = fmt.Sprint(o)
			}
			a := PlanAction{Kind: "write-file", Part: p.setBy["write_files"], From: from, File: abs, Mode: perms(fm["permissions"]), Owner: owner, Append: pyBool(fm["append"])}
			if deferred {
				a.Detail = "defer: true"
			}
			add(a)
		}
	case "mounts":
		for i, m := range asList(p.merged["mounts"]) {
			l := asList(m)
			if len(l) < 2 {
				continue
			}
			add(PlanAction{Kind: "mount", Part: p.setBy["mounts"], From: fmt.Sprintf("mounts[%d]", i), File: fmt.Sprint(l[1]), Detail: "fstab entry for " + fmt.Sprint(l[0]) + "; cloud-init adds it to /etc/fstab and runs mount -a"})
		}
		if sw, ok := p.merged["swap"].(map[string]any); ok {
			add(PlanAction{Kind: "swap", Part: p.setBy["swap"], From: "swap", File: fmt.Sprint(sw["filename"])})
		}
	case "runcmd":
		cmds, ok := p.commands("runcmd")
		if !ok {
			break
		}
		lines := make([]string, len(cmds))
		for i, c := range cmds {
			lines[i] = c.line
		}
		p.runcmdWritten = true
		add(PlanAction{Kind: "write-script", Part: p.setBy["runcmd"], From: "runcmd", Name: "runcmd", File: instanceScripts + "/runcmd", Mode: "0700",
			Command: strings.Join(lines, "\n"), Detail: fmt.Sprintf("%d command(s), run by scripts-user in %s among the script parts, sorted by name", len(cmds), StageFinal)})
	case "scripts_user":
		names := make([]string, 0, len(p.scripts)+1)
		for n := range p.scripts {
			names = append(names, n)
		}
		hasRuncmd := p.runcmdWritten
		if hasRuncmd {
			if _, dup := p.scripts["runcmd"]; !dup {
				names = append(names, "runcmd")
			} else {
				p.find(p.scripts["runcmd"], "", diag.Error, RulePlanOverwritten, "its script is named runcmd: the runcmd module overwrites it in %s with the runcmd commands, and it never runs", StageConfig)
			}
		}
		sort.Strings(names)
		for i, n := range names {
			a := PlanAction{Kind: "run-script", Name: n, File: instanceScripts + "/" + n, Position: i + 1}
			if n == "runcmd" && hasRuncmd {
				a.From = "runcmd"
				a.Part = p.setBy["runcmd"]
				a.Detail = "the runcmd commands"
			} else {
				a.Part = p.scripts[n]
			}
			add(a)
		}
	case "scripts_per_boot", "scripts_per_instance", "scripts_per_once":
		sub := strings.ReplaceAll(strings.TrimPrefix(e.ID, "scripts_"), "_", "-")
		names := make([]string, 0, len(p.perFreq[sub]))
		for n := range p.perFreq[sub] {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			add(PlanAction{Kind: "run-script", Part: p.perFreq[sub][n], Name: n, File: cloudScripts + "/" + sub + "/" + n, Position: i + 1,
				Detail: "with any scripts the image has in " + cloudScripts + "/" + sub})
		}
	case "package_update_upgrade_install":
		if pyBool(p.merged["package_update"]) || pyBool(p.merged["apt_update"]) || pyBool(p.merged["package_upgrade"]) || pyBool(p.merged["apt_upgrade"]) || len(asList(p.merged["packages"])) > 0 {
			add(PlanAction{Kind: "update-packages", Detail: "apt-get update (also implied by packages and package_upgrade)"})
		}
		if pyBool(p.merged["package_upgrade"]) || pyBool(p.merged["apt_upgrade"]) {
			add(PlanAction{Kind: "upgrade-packages", Part: p.setBy["package_upgrade"], From: "package_upgrade"})
		}
		for i, pk := range asList(p.merged["packages"]) {
			name := fmt.Sprint(pk)
			if l, ok := pk.([]any); ok && len(l) > 0 {
				name = fmt.Sprint(l[0])
				if len(l) > 1 {
					name += "=" + fmt.Sprint(l[1])
				}
			}
			add(PlanAction{Kind: "install-package", Part: p.setBy["packages"], From: fmt.Sprintf("packages[%d]", i), Name: name})
		}
	case "power_state_change":
		ps, _ := p.merged["power_state"].(map[string]any)
		add(PlanAction{Kind: "power-state", Part: p.setBy["power_state"], From: "power_state", Detail: fmt.Sprintf("mode %v after cloud-init is done", ps["mode"])})
	case "final_message":
		if fm, ok := p.merged["final_message"]; ok {
			add(PlanAction{Kind: "final-message", Part: p.setBy["final_message"], From: "final_message", Detail: diag.Escape(fmt.Sprint(fm))})
		}
	default:
		var keys []string
		for _, k := range info.keys {
			if _, ok := p.merged[k]; ok {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			add(PlanAction{Kind: "read-keys", Part: p.setBy[keys[0]], From: strings.Join(keys, ", ")})
		}
	}
	return st, len(st.Actions) > 0
}

func (p *planner) hasAny(keys []string) bool {
	for _, k := range keys {
		if _, ok := p.merged[k]; ok {
			return true
		}
	}
	return false
}

// checkNeeds reports user data that needs a module the lists lack.
func (p *planner) checkNeeds(listed map[string]bool) {
	need := func(id string, part int, what string) {
		if !listed[id] {
			p.find(part, "", diag.Error, RulePlanNoModule, "%s, but the image's cloud.cfg does not list %s: it never happens", what, id)
		}
	}
	for _, n := range sortedInts(p.scripts) {
		need("scripts_user", n, "a shell script runs from scripts_user")
	}
	for sub, m := range p.perFreq {
		for _, n := range sortedInts(m) {
			need("scripts_"+strings.ReplaceAll(sub, "-", "_"), n, "a "+sub+" script runs from scripts_"+strings.ReplaceAll(sub, "-", "_"))
		}
	}
	for _, k := range sortedKeys(p.merged) {
		for _, id := range keyModules(k) {
			if listed[id] {
				goto next
			}
		}
		if ids := keyModules(k); len(ids) > 0 {
			p.find(p.setBy[k], k, diag.Error, RulePlanNoModule, "%s is read by %s, which the image's cloud.cfg does not list: it has no effect", diag.Quote(k), strings.Join(ids, " and "))
		}
	next:
	}
	if _, ok := p.merged["runcmd"]; ok && listed["runcmd"] && !listed["scripts_user"] {
		p.find(p.setBy["runcmd"], "runcmd", diag.Error, RulePlanNoModule, "runcmd only writes a script; scripts_user runs it, and the image's cloud.cfg does not list scripts_user")
	}
}

func sortedInts(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

// keyModules lists the modules reading a top-level key.
func keyModules(key string) []string {
	var ids []string
	for id, info := range modules {
		for _, k := range info.keys {
			if k == key {
				ids = append(ids, id)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// otherKeys are top-level keys read by cloud-init outside config modules
// (datasources, distro, handlers, the module lists).
var otherKeys = map[string]bool{
	"cloud_init_modules": true, "cloud_config_modules": true, "cloud_final_modules": true,
	"datasource": true, "datasource_list": true, "system_info": true, "network": true, "manage_etc_hosts": true,
	"merge_how": true, "merge_type": true, "launch-index": true, "vendor_data": true, "vendor_data2": true,
	"unverified_modules": true, "output": true, "log_cfgs": true, "reporting": true, "disable_ec2_metadata": true,
	"users": true, "user": true, "updates": true, "preserve_sources_list": true, "ssh_pwauth": true,
}

func (p *planner) unknownKeys(listed map[string]bool) {
	for _, k := range sortedKeys(p.merged) {
		if otherKeys[k] || len(keyModules(k)) > 0 {
			continue
		}
		p.find(p.setBy[k], k, diag.Info, RulePlanUnknownKey, "no cloud-init module udkit knows reads %s; check the spelling", diag.Quote(k))
	}
}

// stopHooks describes systemd units with ExecStop= written by write_files
// (udkit's stop hook and others): started by a systemctl command in
// bootcmd or runcmd, they are armed at that point of the first boot, and
// on later boots by systemd when enabled.
func (p *planner) stopHooks() {
	files := asList(p.merged["write_files"])
	var cmds []struct {
		from string
		line string
		freq string
	}
	for _, key := range []string{"bootcmd", "runcmd"} {
		l, _ := v2cmds(p.merged[key])
		for _, c := range l {
			cmds = append(cmds, struct{ from, line, freq string }{fmt.Sprintf("%s[%d]", key, c.index), c.line, key})
		}
	}
	for i, f := range files {
		fm, _ := f.(map[string]any)
		ps, _ := fm["path"].(string)
		content, _ := fm["content"].(string)
		if !strings.HasPrefix(ps, "/etc/systemd/system/") || !strings.HasSuffix(ps, ".service") || !strings.Contains(content, "ExecStop=") {
			continue
		}
		unitName := path.Base(ps)
		var arm *PlanAction
		for _, c := range cmds {
			plain := strings.ReplaceAll(c.line, "'", "") // shellify's quotes
			if !strings.Contains(plain, "systemctl") || !strings.Contains(plain, unitName) {
				continue
			}
			if !(strings.Contains(plain, " start") || strings.Contains(plain, "--now") || strings.Contains(plain, "restart")) {
				continue
			}
			enabled := strings.Contains(plain, " enable") && strings.Contains(content, "WantedBy=")
			stage, module := StageFinal, "scripts-user (the runcmd script)"
			if c.freq == "bootcmd" {
				stage, module = StageNetwork, "bootcmd"
			}
			detail := "armed on the first boot in " + stage + " by " + module + "; its ExecStop= runs at every shutdown after that"
			switch {
			case c.freq == "bootcmd":
				detail += "; bootcmd arms it again on every boot"
			case enabled:
				detail += "; enabled, so systemd starts it on every later boot"
			default:
				detail += "; not enabled: after a reboot nothing starts it, and its ExecStop= does not run at the next shutdown"
			}
			arm = &PlanAction{Kind: "arm-stop-hook", Part: p.setBy["write_files"], From: c.from, Name: unitName, File: ps, Command: c.line, Detail: detail, EveryBoot: c.freq == "bootcmd" || enabled}
			break
		}
		if arm == nil {
			p.find(p.setBy["write_files"], fmt.Sprintf("write_files[%d]", i), diag.Warning, RulePlanStopHook, "the unit %s has ExecStop= but no bootcmd or runcmd command starts it: unless something else does, its ExecStop= does not run at the first shutdown", diag.Quote(unitName))
			continue
		}
		// Attach the arming to the step that runs the command.
		for si := range p.out.Stages {
			st := &p.out.Stages[si]
			for ki := range st.Steps {
				m := st.Steps[ki].Module
				if strings.HasPrefix(arm.From, "bootcmd") && moduleID(m) == "bootcmd" || strings.HasPrefix(arm.From, "runcmd") && moduleID(m) == "scripts_user" {
					st.Steps[ki].Actions = append(st.Steps[ki].Actions, *arm)
				}
			}
		}
	}
}

// asList returns v as a list, or nil.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// commandLine renders a bootcmd or runcmd entry as cloud-init's
// util.shellify writes it into the script: a string as is, a list as its
// words each in single quotes (a ' inside as '\”), Python's str() of
// non-string words. ok is false for an entry shellify fails on (a
// mapping, a number); a null entry gives "" and ok (shellify skips it).
func commandLine(c any) (line string, ok bool) {
	switch x := c.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case []any:
		w := make([]string, len(x))
		for i, a := range x {
			w[i] = "'" + strings.ReplaceAll(pyStr(a), "'", `'\''`) + "'"
		}
		return strings.Join(w, " "), true
	}
	return "", false
}

// pyStr is Python's str() of a YAML value, for the scalars commands hold.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case []byte:
		return fmt.Sprintf("b%q", x)
	}
	return fmt.Sprint(v)
}

// v2cmds renders a command list without reporting anything.
func v2cmds(v any) ([]cmdLine, bool) {
	var out []cmdLine
	for i, c := range asList(v) {
		if line, ok := commandLine(c); ok && c != nil {
			out = append(out, cmdLine{i, line})
		}
	}
	return out, true
}

// cmdLine is one command of bootcmd or runcmd and its index in the list.
type cmdLine struct {
	index int
	line  string
}

// commands renders a bootcmd or runcmd list, reporting entries cloud-init
// fails on; it returns nil, false when the module fails.
func (p *planner) commands(key string) ([]cmdLine, bool) {
	v, ok := p.merged[key]
	if !ok {
		return nil, true
	}
	l, isList := v.([]any)
	if !isList {
		p.find(p.setBy[key], key, diag.Error, RulePlanBadPart, "%s is %s, not a list: cloud-init's %s module fails", key, pyType(v), key)
		return nil, false
	}
	var out []cmdLine
	for i, c := range l {
		line, ok := commandLine(c)
		if !ok {
			p.find(p.setBy[key], fmt.Sprintf("%s[%d]", key, i), diag.Error, RulePlanBadPart, "%s: cloud-init's shellify fails on it, and the whole %s module with it", pyType(c), key)
			return nil, false
		}
		if c != nil {
			out = append(out, cmdLine{i, line})
		}
	}
	return out, true
}

// pyBool is util.get_cfg_option_bool's translate_bool: true for true and
// for "true", "1", "on", "yes" in any case.
func pyBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "on", "yes":
			return true
		}
		return false
	case int64:
		return x == 1
	}
	return false
}

// truthy is Python's truth value of a path.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case bool:
		return x
	case int64:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// perms is cc_write_files.decode_perms, formatted as four octal digits:
// a number as is, anything else read as an octal string, 0644 when absent
// or unreadable.
func perms(v any) string {
	mode := int64(0o644)
	switch x := v.(type) {
	case nil:
	case int64:
		mode = x
	case float64:
		mode = int64(x)
	case *big.Int:
	case bool:
		if x {
			mode = 1
		} else {
			mode = 0
		}
	default:
		s := strings.TrimSpace(fmt.Sprint(x))
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
		if m, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 8, 64); err == nil {
			mode = m
		}
	}
	if mode < 0 {
		return "-" + fmt.Sprintf("%04o", -mode)
	}
	return fmt.Sprintf("%04o", mode)
}
