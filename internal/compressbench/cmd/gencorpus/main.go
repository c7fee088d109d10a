// Command gencorpus writes the compression corpus of internal/deflate
// (internal/deflate/testdata/corpus) from this repository's own files and
// from deterministic generators, with a MANIFEST that says where each text
// comes from. Run it from the repository root:
//
//	(cd internal/compressbench && go run ./cmd/gencorpus -root ../..)
//
// The output is the same bytes on every run for the same repository state.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/unit"
	"github.com/udkit/udkit/userdata"
)

type entry struct {
	name, source string
	data         []byte
}

func main() {
	root := flag.String("root", "../..", "repository root")
	flag.Parse()
	rd := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(*root, p))
		if err != nil {
			log.Fatal(err)
		}
		return b
	}
	cat := func(paths ...string) []byte {
		var b bytes.Buffer
		for _, p := range paths {
			fmt.Fprintf(&b, "==> %s <==\n", p)
			b.Write(rd(p))
		}
		return b.Bytes()
	}
	glob := func(pattern string, tests bool) []string {
		m, err := filepath.Glob(filepath.Join(*root, pattern))
		if err != nil {
			log.Fatal(err)
		}
		var out []string
		for _, p := range m {
			if strings.HasSuffix(p, "_test.go") != tests {
				continue
			}
			r, _ := filepath.Rel(*root, p)
			out = append(out, r)
		}
		sort.Strings(out)
		return out
	}
	seed := seedDocument(rd)
	var es []entry
	add := func(name, source string, data []byte) {
		if len(data) > 250<<10 {
			data = data[:250<<10]
			source += " (first 250 KiB)"
		}
		es = append(es, entry{name, source, data})
	}
	add("01-render-minimal.golden", "testdata/render/minimal.golden: `udkit render` of testdata/specs/minimal.yaml, verbatim", rd("testdata/render/minimal.golden"))
	add("02-seed.mime", "the seed document (userdata/testdata/seed: cloud-config.yaml, 10-register.sh, 20-check-hook.sh) as udkit's MIME document (userdata.Document.Encode, no gzip)", encode(seed))
	add("03-render-registry.golden", "testdata/render/registry.golden: `udkit render` of testdata/specs/registry.yaml, verbatim", rd("testdata/render/registry.golden"))
	add("04-readme.md", "README.md, verbatim", rd("README.md"))
	add("05-scripts.sh", "the repository's shell scripts concatenated (.ci/run, .ci/apt-ensure, examples/managed-server/*.sh, userdata/testdata/seed/*.sh)",
		cat(".ci/run", ".ci/apt-ensure", "examples/managed-server/check-hook.sh", "examples/managed-server/register.sh", "userdata/testdata/seed/10-register.sh", "userdata/testdata/seed/20-check-hook.sh"))
	add("06-units.txt", "a generated unit set: 120 stop hooks from unit.StopHook with varied names, commands, mounts and timeouts, each as its unit file", units())
	add("07-cloud-config.yaml", "a generated cloud-config (cloudconfig.Config.Marshal): write_files with 60 units and environment files, runcmd arming them, packages, mounts", cloudConfig())
	add("08-bundle60k.mime", "the 60 KB bundle of userdata/bench_test.go (largeBundle: the seed parts, a cloud-config of 36 task files, 36 task scripts) as udkit's MIME document", encode(largeBundle(seed)))
	add("09-userdata-go.txt", "userdata/*.go (no tests) concatenated", cat(glob("userdata/*.go", false)...))
	add("10-e2e-tests-go.txt", "e2e/*_test.go concatenated", cat(glob("e2e/*_test.go", true)...))
	add("11-registry.json", "a generated JSON registry dump (json.MarshalIndent of 700 members with seeded random ids, addresses and timestamps)", registryJSON())
	add("12-random.b64", "base64 (76-column lines) of 24,000 bytes from math/rand seeded with 15: incompressible text", randomB64())
	add("13-near-limit.mime", "udkit's MIME document of the repository's sources (cloudconfig/*.go, no tests, cut to 56 KiB) as shell-script parts: a document near what fits EC2's 16 KiB gzip'd", nearLimit(cat(glob("cloudconfig/*.go", false)...)))

	dir := filepath.Join(*root, "internal", "deflate", "testdata", "corpus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	rev, _ := exec.Command("git", "-C", *root, "rev-parse", "--short=12", "HEAD").Output()
	var man bytes.Buffer
	fmt.Fprintf(&man, "# Compression corpus of internal/deflate, written by internal/compressbench/cmd/gencorpus\n")
	fmt.Fprintf(&man, "# from the repository at commit %s (files are frozen copies; regenerate on purpose only).\n", strings.TrimSpace(string(rev)))
	fmt.Fprintf(&man, "# name\tbytes\tsource\n")
	for _, e := range es {
		if len(e.data) < 1024 {
			log.Fatalf("%s: %d bytes, under 1 KiB", e.name, len(e.data))
		}
		if err := os.WriteFile(filepath.Join(dir, e.name), e.data, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&man, "%s\t%d\t%s\n", e.name, len(e.data), e.source)
	}
	if err := os.WriteFile(filepath.Join(dir, "MANIFEST"), man.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func encode(d *userdata.Document) []byte {
	b, err := d.Encode(userdata.Options{Limit: -1})
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func seedDocument(rd func(string) []byte) *userdata.Document {
	p := func(n string) []byte { return rd("userdata/testdata/seed/" + n) }
	return &userdata.Document{Parts: []userdata.Part{
		{ContentType: userdata.ContentCloudConfig, Filename: "cloud-config.yaml", MergeType: userdata.MergeAppend, Body: p("cloud-config.yaml")},
		{ContentType: userdata.ContentShellScript, Filename: "10-register.sh", Body: p("10-register.sh")},
		{ContentType: userdata.ContentShellScript, Filename: "20-check-hook.sh", Body: p("20-check-hook.sh")},
	}}
}

// largeBundle is userdata/bench_test.go's largeBundle.
func largeBundle(seed *userdata.Document) *userdata.Document {
	d := &userdata.Document{Parts: append([]userdata.Part(nil), seed.Parts...)}
	var cc strings.Builder
	cc.WriteString("#cloud-config\nwrite_files:\n")
	u := string(seed.Parts[0].Body)
	for i := 0; i < 36; i++ {
		fmt.Fprintf(&cc, "  - path: /etc/appsrv/task-%02d.conf\n    permissions: '0644'\n    content: |\n", i)
		for _, line := range strings.Split(u, "\n")[4:24] {
			fmt.Fprintf(&cc, "      %s # task %d\n", strings.TrimSpace(line), i*7919%1000)
		}
	}
	d.Parts = append(d.Parts, userdata.Part{ContentType: userdata.ContentCloudConfig, Filename: "tasks.yaml", MergeType: userdata.MergeAppend, Body: []byte(cc.String())})
	for i := 0; i < 36; i++ {
		body := strings.ReplaceAll(string(seed.Parts[1].Body), "register", fmt.Sprintf("task%02d", i))
		body = strings.ReplaceAll(body, "5 attempts", fmt.Sprintf("%d attempts", 3+i%5))
		d.Parts = append(d.Parts, userdata.Part{ContentType: userdata.ContentShellScript, Filename: fmt.Sprintf("%02d-task.sh", 30+i), Body: []byte(body)})
	}
	return d
}

var words = []string{"app", "web", "db", "cache", "queue", "worker", "api", "edge", "batch", "auth", "search", "mail"}

func hook(i int, rng *rand.Rand) *unit.Hook {
	name := fmt.Sprintf("%s-%s-%d", words[rng.Intn(len(words))], words[rng.Intn(len(words))], i)
	c := unit.StopHookConfig{
		Name:    name + "-deregister",
		Stop:    []string{"/mnt/shared/bin/deregister", "--name", name, "--registry", fmt.Sprintf("http://192.0.2.%d:8080", 10+rng.Intn(200))},
		Timeout: 0,
	}
	if rng.Intn(2) == 0 {
		c.Mounts = []string{"/mnt/shared", fmt.Sprintf("/srv/%s", name)}
	}
	if rng.Intn(3) == 0 {
		c.Start = []string{"/mnt/shared/bin/register", "--name", name}
	}
	h, err := unit.StopHook(c)
	if err != nil {
		log.Fatal(err)
	}
	return h
}

func units() []byte {
	rng := rand.New(rand.NewSource(6))
	var b bytes.Buffer
	for i := 0; i < 120; i++ {
		h := hook(i, rng)
		u, err := h.Unit.Marshal()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&b, "# %s\n", h.Path)
		b.Write(u)
		b.WriteString("\n")
	}
	return b.Bytes()
}

func cloudConfig() []byte {
	rng := rand.New(rand.NewSource(7))
	c := &cloudconfig.Config{FinalMessage: "udkit corpus: $UPTIME s", Packages: []string{"curl", "jq", "nfs-common", "python3"}}
	for i := 0; i < 60; i++ {
		h := hook(i, rng)
		u, err := h.Unit.Marshal()
		if err != nil {
			log.Fatal(err)
		}
		c.WriteFiles = append(c.WriteFiles, cloudconfig.WriteFile{Path: h.Path, Content: string(u), Permissions: "0644"})
		env := fmt.Sprintf("REGISTRY_URL=http://192.0.2.%d:8080\nNODE_ID=%08x\nRETRIES=%d\n", 10+rng.Intn(200), rng.Uint32(), 3+rng.Intn(5))
		c.WriteFiles = append(c.WriteFiles, cloudconfig.WriteFile{Path: "/etc/default/" + strings.TrimSuffix(h.Name, ".service"), Content: env, Permissions: "0600"})
		for _, a := range h.Arm {
			c.Runcmd = append(c.Runcmd, cloudconfig.Argv(a...))
		}
		c.Mounts = append(c.Mounts, []string{fmt.Sprintf("192.0.2.%d:/export/%d", 10+rng.Intn(200), i), fmt.Sprintf("/srv/share-%d", i), "nfs", "defaults,_netdev", "0", "0"})
	}
	b, err := c.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func registryJSON() []byte {
	rng := rand.New(rand.NewSource(11))
	type member struct {
		ID         string            `json:"id"`
		Name       string            `json:"name"`
		Address    string            `json:"address"`
		State      string            `json:"state"`
		Registered string            `json:"registered"`
		LastSeen   string            `json:"last_seen"`
		Hook       string            `json:"hook"`
		Labels     map[string]string `json:"labels"`
	}
	states := []string{"registered", "deregistered", "stale", "draining"}
	var ms []member
	for i := 0; i < 700; i++ {
		ms = append(ms, member{
			ID:         fmt.Sprintf("i-%016x", rng.Uint64()),
			Name:       fmt.Sprintf("%s-%03d", words[rng.Intn(len(words))], i),
			Address:    fmt.Sprintf("192.0.2.%d:%d", rng.Intn(256), 8000+rng.Intn(100)),
			State:      states[rng.Intn(len(states))],
			Registered: fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02dZ", 1+rng.Intn(12), 1+rng.Intn(28), rng.Intn(24), rng.Intn(60), rng.Intn(60)),
			LastSeen:   fmt.Sprintf("2026-12-%02dT%02d:%02d:%02dZ", 1+rng.Intn(3), rng.Intn(24), rng.Intn(60), rng.Intn(60)),
			Hook:       words[rng.Intn(len(words))] + "-deregister.service",
			Labels:     map[string]string{"zone": fmt.Sprintf("zone-%c", 'a'+rng.Intn(4)), "tier": words[rng.Intn(len(words))]},
		})
	}
	b, err := json.MarshalIndent(map[string]any{"members": ms}, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	return append(b, '\n')
}

func randomB64() []byte {
	rng := rand.New(rand.NewSource(15))
	raw := make([]byte, 24000)
	rng.Read(raw)
	s := base64.StdEncoding.EncodeToString(raw)
	var b bytes.Buffer
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s + "\n")
	return b.Bytes()
}

// nearLimit cuts src into shell-script parts of about 8 KiB (at line
// ends) until 56 KiB, and encodes them as one document.
func nearLimit(src []byte) []byte {
	src = src[:min(len(src), 56<<10)]
	d := &userdata.Document{}
	for i := 0; len(src) > 0; i++ {
		n := min(len(src), 8<<10)
		if j := bytes.LastIndexByte(src[:n], '\n'); j > 0 && n < len(src) {
			n = j + 1
		}
		body := append([]byte("#!/bin/sh\n: <<'EOF'\n"), src[:n]...)
		body = append(body, "EOF\n"...)
		d.Parts = append(d.Parts, userdata.Part{ContentType: userdata.ContentShellScript, Filename: fmt.Sprintf("%02d-src.sh", i), Body: body})
		src = src[n:]
	}
	return encode(d)
}
