package cloudconfig_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/realtools"
)

// pyCanon prints what PyYAML's safe_load makes of a file, as canonical JSON.
const pyCanon = `
import sys, yaml, json, base64, datetime
def canon(v):
    if isinstance(v, dict): return {str(k): canon(x) for k, x in v.items()}
    if isinstance(v, list): return [canon(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)): return v
    if isinstance(v, float): return {"$float": "%.17g" % v}
    if isinstance(v, bytes): return {"$bytes": base64.b64encode(v).decode()}
    if isinstance(v, (datetime.date, datetime.datetime)): return {"$time": v.isoformat()}
    raise TypeError(type(v))
print(json.dumps(canon(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))), sort_keys=True))
`

func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = canon(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = canon(e)
		}
		return s
	case float64:
		switch {
		case math.IsInf(x, 1):
			return map[string]any{"$float": "inf"}
		case math.IsInf(x, -1):
			return map[string]any{"$float": "-inf"}
		}
		return map[string]any{"$float": fmt.Sprintf("%.17g", x)}
	case []byte:
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(x)}
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 && x.Location() == time.UTC {
			return map[string]any{"$time": x.Format("2006-01-02")}
		}
		if x.Nanosecond() != 0 {
			return map[string]any{"$time": x.Format("2006-01-02T15:04:05.000000-07:00")}
		}
		return map[string]any{"$time": x.Format("2006-01-02T15:04:05-07:00")}
	case *big.Int:
		return json.Number(x.String())
	}
	return v
}

// Config.Value gives what PyYAML gives, on the corpus and on YAML 1.1
// scalars chosen for their corners.
func TestValueMatchesPyYAML(t *testing.T) {
	realtools.RequirePythonModule(t, "yaml")
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	docs := map[string][]byte{}
	for _, f := range files {
		docs[filepath.Base(f)] = readFile(t, f)
	}
	docs["scalars"] = []byte("#cloud-config\nints: [0, -0, +12, 0644, 0o17, 0x1F, 0b101, 1_000, 190:20:30, 123456789012345678901234567890]\n" +
		"floats: [1.5, -.5, 1e3, 6.8523015e+5, 685_230.15, 190:20:30.15, .inf, -.Inf]\nbools: [yes, No, ON, off, TRUE, false, y, n]\n" +
		"nulls: [~, null, Null, '']\ndates: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5]\nbin: !!binary aGVsbG8=\n" +
		"merged:\n  base: &b {a: 1, b: 2}\n  other: &o {b: 3, c: 4}\n  both:\n    <<: [*b, *o]\n    c: 5\n")
	dir := t.TempDir()
	for name, data := range docs {
		t.Run(name, func(t *testing.T) {
			c, err := cloudconfig.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.Value()
			if err != nil {
				t.Fatal(err)
			}
			goJSON, err := json.Marshal(canon(v))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			writeFile(t, path, data)
			out, err := runTool(toolTimeout, true, realtools.Python, "-c", pyCanon, path)
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			var want, got any
			if err := json.Unmarshal(out, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(goJSON, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Value differs from PyYAML (-pyyaml +go):\n%s", diff)
			}
		})
	}
}

func TestNodeIsACopy(t *testing.T) {
	c := seedScenario()
	n, err := c.Node()
	if err != nil {
		t.Fatal(err)
	}
	n.Content[1].Content[0].Content[1].Value = "/changed"
	out, _ := c.Marshal()
	if strings.Contains(string(out), "/changed") {
		t.Error("changing the node changed the config")
	}
}
