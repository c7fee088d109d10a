package cloudconfig

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

// yamlDocs returns every YAML text the repository's test data holds:
// cloud-configs (whole files, and the cloud-config parts of MIME user
// data, cut crudely at the next boundary line), spec files and corpus
// documents. Fuzz corpus files are left out (they are Go-quoted).
func yamlDocs(t testing.TB) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	for _, root := range []string{"testdata", "../testdata", "../userdata/testdata", "../examples"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "fuzz" {
					return filepath.SkipDir
				}
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil || len(data) > 1<<20 {
				return err
			}
			docs[path] = data
			text := string(data)
			for n := 0; ; n++ {
				i := strings.Index(text, "#cloud-config")
				if i < 0 {
					break
				}
				text = text[i:]
				part := text
				if j := strings.Index(part, "\n--"); j >= 0 {
					part = part[:j+1]
				}
				docs[path+"#cloud-config-"+string(rune('0'+n%10))] = []byte(part)
				text = text[len("#cloud-config"):]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return docs
}

// stripped returns a deep copy of n without comments and anchors, with
// aliases replaced by copies of what they point to: the shape of the
// nodes Parse keeps.
func stripped(n *yaml.Node, depth int) *yaml.Node {
	if depth > 50 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: "deep"}
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return stripped(n.Alias, depth+1)
	}
	c := *n
	c.HeadComment, c.LineComment, c.FootComment, c.Anchor = "", "", "", ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = stripped(k, depth+1)
	}
	return &c
}

// checkEmit compares emitYAML with yaml.v3's Encoder on root. It returns
// whether emitYAML handled root.
func checkEmit(t testing.TB, name string, root *yaml.Node) bool {
	t.Helper()
	got, why := emitYAMLWhy([]byte("#\n"), root)
	if why != "" {
		if testing.Verbose() {
			t.Logf("%s: emitYAML defers to yaml.v3: %s", name, why)
		}
		return false
	}
	want, err := encodeV3([]byte("#\n"), root)
	if err != nil {
		t.Errorf("%s: emitYAML wrote a node yaml.v3 refuses (%v):\n%s", name, err, got)
		return true
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: emitYAML and yaml.v3 differ\n--- emitYAML:\n%s\n--- yaml.v3:\n%s", name, got, want)
	}
	return true
}

// TestEmitMatchesYAMLv3 checks that the own emitter writes the same bytes
// as yaml.v3's Encoder for every YAML document in the repository's test
// data: as parsed (comments and anchors make it defer to yaml.v3), with
// comments and anchors stripped, and as Parse and Marshal see it.
func TestEmitMatchesYAMLv3(t *testing.T) {
	var handled, total, configs int
	for name, data := range yamlDocs(t) {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		checkEmit(t, name+" (as parsed)", root)
		total++
		if checkEmit(t, name+" (stripped)", stripped(root, 0)) {
			handled++
		}
		c, err := Parse(data)
		if err != nil {
			continue
		}
		n, err := c.node()
		if err != nil || len(n.Content) == 0 {
			continue
		}
		configs++
		if !checkEmit(t, name+" (Parse)", n) {
			t.Logf("%s: Marshal falls back to yaml.v3", name)
		}
	}
	t.Logf("%d YAML mappings, %d handled by emitYAML once stripped; %d parsed as cloud-configs", total, handled, configs)
	if total < 100 || handled*10 < total*9 {
		t.Errorf("emitYAML handled %d of %d stripped documents: expected at least 100 documents and 90 %% handled", handled, total)
	}
}

// TestEmitGoldens checks that every render golden goes through the own
// emitter, not the fallback.
func TestEmitGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/render/*.golden")
	files2, _ := filepath.Glob("testdata/roundtrip/*")
	for _, file := range append(files, files2...) {
		c, err := Parse(readTestFile(t, file))
		if err != nil {
			continue
		}
		n, err := c.node()
		if err != nil || len(n.Content) == 0 {
			continue
		}
		if !checkEmit(t, file, n) {
			t.Errorf("%s: Marshal falls back to yaml.v3", file)
		}
	}
}

func readTestFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzEmitYAML parses arbitrary YAML with yaml.v3 and checks that
// emitYAML, whenever it handles the top-level mapping (as parsed, and
// with comments and anchors stripped), writes what yaml.v3's Encoder
// writes.
func FuzzEmitYAML(f *testing.F) {
	for _, data := range yamlDocs(f) {
		if len(data) < 8<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			return
		}
		checkEmit(t, "as parsed", doc.Content[0])
		checkEmit(t, "stripped", stripped(doc.Content[0], 0))
	})
}

// FuzzEmitScalar puts one string, in a given style and tag, in every
// position a scalar takes in a cloud-config (mapping key and value, block
// and flow sequence item, nested in a sequence of mappings) and checks
// that emitYAML writes what yaml.v3's Encoder writes.
func FuzzEmitScalar(f *testing.F) {
	for _, s := range []string{"", "a", "on", "0644", "a: b", "*x", " lead", "trail ", "a\nb", "a\n", "a\n\n", "\n", "\na", " a\nb\n",
		"a \nb", "a\n b", "tab\there", "\tx", "'q'", `"d"`, `\`, "---", "...x", "- x", "-x", "#c", "a #c", "a#c", "é", "\u2028x", "a\u0085b",
		"\uFEFFbom", "\x00", "\x7f", "\U0001F600", "[x]", "{x}", "a,b", "?x", ": x", "key:", "~", "null", "true", "1e3", ".inf", "<<", "0x1F"} {
		for style := range 5 {
			f.Add(s, uint8(style), uint8(0))
		}
		f.Add(s, uint8(0), uint8(1))
		f.Add(s, uint8(0), uint8(2))
	}
	styles := []yaml.Style{0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle, yaml.FlowStyle}
	tags := []string{tagStr, "", tagInt, tagBool, tagNull, "!custom"}
	f.Fuzz(func(t *testing.T, s string, style, tag uint8) {
		sc := func() *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: tags[int(tag)%len(tags)], Style: styles[int(style)%len(styles)], Value: s}
		}
		key := func(k string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: k} }
		flow := &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq, Style: yaml.FlowStyle, Content: []*yaml.Node{key("a"), sc(), sc()}}
		block := &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq, Content: []*yaml.Node{sc(), flow, sc()}}
		item := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{key("path"), sc(), sc(), key("x"), key("list"), block}}
		items := &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq, Content: []*yaml.Node{item, sc(), &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq, Content: []*yaml.Node{sc(), block}}}}
		root := &yaml.Node{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{
			key("v"), sc(), key("flow"), flow, key("block"), block, key("items"), items, sc(), key("after"), key("empty"), &yaml.Node{Kind: yaml.SequenceNode, Tag: tagSeq},
		}}
		checkEmit(t, "scalar", root)
		// The scalar alone in each position, so that one position the
		// emitter defers on does not hide the others.
		for _, r := range []*yaml.Node{
			{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{key("v"), sc()}},
			{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{sc(), key("v")}},
			{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{key("f"), flow}},
			{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{key("b"), {Kind: yaml.SequenceNode, Tag: tagSeq, Content: []*yaml.Node{sc(), sc()}}}},
			{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{key("i"), {Kind: yaml.SequenceNode, Tag: tagSeq, Content: []*yaml.Node{
				{Kind: yaml.MappingNode, Tag: tagMap, Content: []*yaml.Node{key("path"), sc(), key("content"), sc()}}}}}},
		} {
			checkEmit(t, "scalar", r)
		}
	})
}

// TestMarshalBadTag checks that a tag that is not valid UTF-8 (which
// yaml.v3's parser never makes, but a Go program may) is an error, not a
// hang in yaml.v3's tag writer.
func TestMarshalBadTag(t *testing.T) {
	c := &Config{Extra: []Field{{Key: "x", Value: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!foo\x80x", Value: "b"}}}}
	if _, err := c.Marshal(); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("Marshal: %v, want an error about the tag", err)
	}
}

// FuzzResolve11 checks resolve11, num12 and resolveV3, which skip the regular
// expressions for text without digits, against the expressions alone.
func FuzzResolve11(f *testing.F) {
	for _, s := range []string{"", "~", "null", "NULL", "yes", "Off", "on", "y", "<<", "=", ".inf", "-.Inf", ".NaN", "+.nan", "--now", "-", "+", ".", "0", "0644",
		"0x1F", "0b101", "1_000", "1:20", "1.5e+3", "2024-01-02", "2024-1-2 3:04:05", "0o17", ".5", "-.5e3", "t3://x", "nan", "inf", "No", "nO", "true1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := resolve11(s), resolve11Regexp(s); got != want {
			t.Errorf("resolve11(%q) = %s, the regexps say %s", s, got, want)
		}
		if got, want := resolveV3(s), (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag(); got != want {
			t.Errorf("resolveV3(%q) = %s, yaml.v3 says %s", s, got, want)
		}
		if got, want := num12(s), reNum12.MatchString(s); got != want {
			t.Errorf("num12(%q) = %v, reNum12 says %v", s, got, want)
		}
	})
}

// plainIsStringRef is plainIsString as it was before its one-pass scan.
func plainIsStringRef(s string, inFlow bool) bool {
	if s == "" || resolve11Regexp(s) != tagStr || len(s) == 1 && reYN.MatchString(s) || strings.ContainsRune("-+.0123456789", rune(s[0])) && reNum12.MatchString(s) {
		return false
	}
	if s[0] == '-' && (len(s) == 1 || s[1] == ' ' || s[1] == '\t') {
		return false
	}
	switch s[0] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\t':
		return false
	}
	last := s[len(s)-1]
	if last == ' ' || last == '\t' || last == ':' {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.Contains(s, ":\t") || strings.Contains(s, "\t#") {
		return false
	}
	if inFlow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	for _, r := range s {
		if r == '\t' || r == '\uFEFF' || !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// FuzzPlainIsString checks the one-pass plainIsString against the
// reference.
func FuzzPlainIsString(f *testing.F) {
	for _, s := range []string{"a", "a: b", "a:b", "a #b", "a#b", "x\ty", "\uFEFFx", "é", "\xff", "a\u00a0b", "0644", "--now", "on", "a,b", "---x"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, inFlow bool) {
		if got, want := plainIsString(s, inFlow), plainIsStringRef(s, inFlow); got != want {
			t.Errorf("plainIsString(%q, %v) = %v, want %v", s, inFlow, got, want)
		}
	})
}

// checkTyped compares emitTyped with node() and emitYAML on c, when
// emitTyped handles c.
func checkTyped(t testing.TB, name string, c *Config) bool {
	t.Helper()
	got, ok := emitTyped(nil, c)
	if !ok {
		return false
	}
	n, err := c.node()
	if err != nil {
		t.Errorf("%s: emitTyped wrote a config node() refuses: %v", name, err)
		return true
	}
	want, why := emitYAMLWhy(nil, n)
	if why != "" {
		want, err = encodeV3(nil, n)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: emitTyped and node()+emitYAML differ\n--- emitTyped:\n%s\n--- node:\n%s", name, got, want)
	}
	return true
}

// TestEmitTyped checks the typed fast path against the node tree on
// every cloud-config of the test data (their typed fields alone).
func TestEmitTyped(t *testing.T) {
	n := 0
	for name, data := range yamlDocs(t) {
		c, err := Parse(data)
		if err != nil {
			continue
		}
		c.Extra = nil
		if c.anyTyped() && checkTyped(t, name, c) {
			n++
		}
	}
	if n < 50 {
		t.Errorf("emitTyped handled %d configs of the test data; want at least 50", n)
	}
}

// FuzzEmitTyped builds configs from fuzzed strings in every typed field
// and checks emitTyped against node() and emitYAML.
func FuzzEmitTyped(f *testing.F) {
	f.Add("/etc/a", "line\n", "0644", "echo hi", "--now", "a\nb", "pkg", "/dev/x", "yes", uint8(7))
	f.Add("/x y", " lead\n\n", "755", "", "", "", "on", "", "\t", uint8(0))
	f.Add("#c", "a: b", "'", "x #y", "[a]", "-", "0", "a,b", "é\u2028", uint8(255))
	f.Fuzz(func(t *testing.T, path, content, perm, script, arg1, arg2, pkg, mnt, msg string, flags uint8) {
		tr, fa := true, false
		c := &Config{
			WriteFiles: []WriteFile{{Path: path, Content: content, Permissions: perm, Owner: arg1, Encoding: arg2, Append: flags&1 != 0, Defer: flags&2 != 0}, {Path: content}},
			Runcmd:     []Command{{Script: script}, Argv(arg1, arg2), Argv(), Argv(arg2)},
			Bootcmd:    []Command{Argv(script, content)},
			Packages:   []string{pkg, arg1},
			Mounts:     [][]string{{mnt, arg1, perm}, {}},
		}
		if flags&4 != 0 {
			c.PackageUpdate = &tr
			c.PackageUpgrade = &fa
		}
		if flags&8 != 0 {
			c.FinalMessage = msg
		}
		if flags&16 != 0 {
			c.Bootcmd = nil
			c.Mounts = nil
		}
		checkTyped(t, "fuzz", c)
	})
}
