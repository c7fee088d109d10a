// Package schema validates cloud-config against the JSON schema that the
// installed cloud-init ships, loaded at run time from a path, so that
// programs without Python get the verdicts of `cloud-init schema`.
//
// The schema is never copied into udkit: [Load] reads it from the cloud-init
// installation ([DefaultPath] on Debian and Ubuntu), and the verdicts follow
// that cloud-init's version. Validation uses
// github.com/santhosh-tekuri/jsonschema/v6 with draft 4, as cloud-init does,
// on the data cloud-init's YAML loader would see ([cloudconfig.Config.Value]).
//
// It mirrors cloud-init 22.4's validator where that differs from plain
// draft 4: !!binary values count as strings, and the "hostname" format is
// not checked (python3-jsonschema on Debian has no checker for it). The
// "date" and "uri" formats are checked by this library's own rules, which
// may differ from Python's in corner cases. Deprecations are not reported.
//
// The package is pure Go (CGO_ENABLED=0).
package schema

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// DefaultPath is where Debian's and Ubuntu's cloud-init package installs the
// cloud-config schema.
const DefaultPath = "/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json"

// Schema is a compiled cloud-config JSON schema.
type Schema struct {
	path string
	sch  *jsonschema.Schema
}

// Load reads and compiles the cloud-config JSON schema at path (usually
// [DefaultPath]).
func Load(path string) (*Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("schema: %v", err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("schema: %v (is cloud-init installed? give the path of its schema-cloud-config-v1.json)", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("schema: %s: not JSON: %v", abs, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	// Debian's python3-jsonschema has no hostname checker, so cloud-init
	// does not check that format.
	c.RegisterFormat(&jsonschema.Format{Name: "hostname", Validate: func(any) error { return nil }})
	url := "file://" + filepath.ToSlash(abs)
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("schema: %s: %v", abs, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("schema: %s: %v", abs, err)
	}
	return &Schema{path: abs, sch: sch}, nil
}

// Path returns the absolute path the schema was loaded from.
func (s *Schema) Path() string { return s.path }

var printer = message.NewPrinter(language.English)

// Validate checks c against the schema and returns a
// *cloudconfig.ValidationError listing every violation in document order,
// each with its YAML path and the rule "schema-KEYWORD", or nil. It returns
// another error only when c cannot be rendered.
func (s *Schema) Validate(c *cloudconfig.Config) error {
	v, err := c.Value()
	if err != nil {
		return err
	}
	node, err := c.Node()
	if err != nil {
		return err
	}
	inst, err := jsonValue(v)
	if err != nil {
		return err
	}
	err = s.sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("schema: %v", err)
	}
	var diags diag.List
	for _, leaf := range leaves(ve) {
		kw := "schema"
		if p := leaf.ErrorKind.KeywordPath(); len(p) > 0 {
			kw = "schema-" + p[len(p)-1]
		}
		diags = append(diags, diag.Diagnostic{
			Path:     yamlPath(inst, leaf.InstanceLocation),
			Severity: diag.Error,
			Rule:     kw,
			Message:  leaf.ErrorKind.LocalizedString(printer),
		})
	}
	order := documentOrder(node)
	sort.SliceStable(diags, func(i, j int) bool { return rank(order, diags[i].Path) < rank(order, diags[j].Path) })
	return &cloudconfig.ValidationError{Diagnostics: diags}
}

// leaves returns the errors to report: the deepest ones, except that a
// failed oneOf or anyOf is reported as one error (as cloud-init does)
// rather than one per alternative.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		return []*jsonschema.ValidationError{e}
	}
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// jsonValue converts what Config.Value returns into the types the JSON
// schema library takes.
func jsonValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int64:
		return x, nil
	case float64:
		switch {
		case math.IsInf(x, 1):
			return json.Number("1e400"), nil
		case math.IsInf(x, -1):
			return json.Number("-1e400"), nil
		case math.IsNaN(x):
			// NaN compares false with everything in Python, so it
			// passes every numeric bound there; 0 passes the
			// bounds of cloud-init's schema too.
			return json.Number("0"), nil
		}
		return x, nil
	case *big.Int:
		return json.Number(x.String()), nil
	case []byte:
		// cloud-init's validator accepts bytes as a string.
		return base64.StdEncoding.EncodeToString(x), nil
	case time.Time:
		// PyYAML gives a date, which is no JSON type: it fails
		// "type": "string" and every other type, as here.
		return map[string]any{"!!timestamp": x.Format(time.RFC3339Nano)}, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	}
	return nil, fmt.Errorf("schema: internal error: unexpected value type %T", v)
}

// yamlPath turns a JSON instance location into a YAML path like
// "write_files[0].permissions".
func yamlPath(inst any, loc []string) string {
	var b strings.Builder
	cur := inst
	for _, tok := range loc {
		switch x := cur.(type) {
		case []any:
			i, _ := strconv.Atoi(tok)
			fmt.Fprintf(&b, "[%d]", i)
			if i >= 0 && i < len(x) {
				cur = x[i]
			}
		case map[string]any:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
			cur = x[tok]
		}
	}
	if b.Len() == 0 {
		return "(document)"
	}
	return b.String()
}

// documentOrder numbers the YAML paths of node in document order.
func documentOrder(n *yaml.Node) map[string]int {
	order := map[string]int{}
	var walk func(n *yaml.Node, p string)
	walk = func(n *yaml.Node, p string) {
		if _, seen := order[p]; !seen {
			order[p] = len(order)
		}
		switch n.Kind {
		case yaml.SequenceNode:
			for i, e := range n.Content {
				walk(e, fmt.Sprintf("%s[%d]", p, i))
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if p != "" {
					k = p + "." + k
				}
				walk(n.Content[i+1], k)
			}
		}
	}
	walk(n, "")
	return order
}

// rank is the document position of path, or of its longest known prefix
// (a missing required key is reported on its parent).
func rank(order map[string]int, path string) int {
	for p := path; p != ""; {
		if r, ok := order[p]; ok {
			return r
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}
