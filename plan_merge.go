package udkit

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// This file is cloud-init's cloud-config merging (cloudinit/mergers and
// handlers/cloud_config.py, the same in 22.4 and 25.1) on the values
// cloudconfig.Config.Value returns: map[string]any, []any, string and
// other scalars.

// merger is one of cloud-init's mergers (m_dict, m_list, m_str) with its
// options.
type merger struct {
	kind string // "dict", "list" or "str"
	// dict: method replace|no_replace; list: replace|append|prepend|no_replace
	method                               string
	recurseStr, recurseList, recurseDict bool
	allowDelete, strAppend               bool
}

// mergeSpec is a parsed merge type: the mergers in lookup order.
type mergeSpec []merger

// defaultMerge is handlers/cloud_config.py's DEF_MERGERS, used for a part
// that names no merge type.
const defaultMerge = "dict(replace)+list()+str()"

var mergerName = regexp.MustCompile(`^([a-zA-Z_][A-Za-z0-9_]*)\((.*?)\)$`)

// parseMergeString is mergers.string_extract_mergers.
func parseMergeString(how string) ([][2]any, error) {
	var out [][2]any
	for _, m := range strings.Split(how, "+") {
		m = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(m)), "-", "_")
		if m == "" {
			continue
		}
		g := mergerName.FindStringSubmatch(m)
		if g == nil {
			return nil, fmt.Errorf("merger %q is not in the form name(options)", m)
		}
		var opts []string
		for _, o := range strings.Split(g[2], ",") {
			if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
				opts = append(opts, o)
			}
		}
		out = append(out, [2]any{g[1], opts})
	}
	return out, nil
}

// parseMergeValue is mergers.dict_extract_mergers on the value of a
// merge_how (or merge_type) key.
func parseMergeValue(v any) ([][2]any, error) {
	switch x := v.(type) {
	case string:
		return parseMergeString(x)
	case []any:
		var out [][2]any
		for _, m := range x {
			var name string
			var opts []string
			switch y := m.(type) {
			case map[string]any:
				n, ok := y["name"].(string)
				if !ok {
					return nil, fmt.Errorf("merge_how entry without a string name")
				}
				name = strings.TrimSpace(strings.ReplaceAll(n, "-", "_"))
				s, ok := y["settings"].([]any)
				if !ok {
					return nil, fmt.Errorf("merge_how entry %q without a settings list", n)
				}
				for _, o := range s {
					if os, ok := o.(string); ok {
						opts = append(opts, os)
					}
				}
			case []any:
				if len(y) == 0 {
					return nil, fmt.Errorf("empty merge_how entry")
				}
				n, ok := y[0].(string)
				if !ok {
					return nil, fmt.Errorf("merge_how entry name is not a string")
				}
				name = n
				for _, o := range y[1:] {
					if os, ok := o.(string); ok {
						opts = append(opts, os)
					}
				}
			default:
				return nil, fmt.Errorf("merge_how entry of type %s", pyType(m))
			}
			if name != "" {
				out = append(out, [2]any{name, opts})
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("merge_how of type %s", pyType(v))
}

// construct is mergers.construct: it fails on a merger other than dict,
// list and str.
func construct(parsed [][2]any) (mergeSpec, error) {
	var out mergeSpec
	for _, p := range parsed {
		name := strings.TrimPrefix(p[0].(string), "m_")
		opts := p[1].([]string)
		has := func(o ...string) bool {
			for _, a := range opts {
				for _, b := range o {
					if a == b {
						return true
					}
				}
			}
			return false
		}
		m := merger{kind: name}
		switch name {
		case "dict":
			m.method = "no_replace"
			if has("replace") {
				m.method = "replace"
			}
			m.recurseStr = has("recurse_str")
			m.recurseList = has("recurse_array", "recurse_list")
			m.allowDelete = has("allow_delete")
			m.recurseDict = true
		case "list":
			m.method = "replace"
			for _, t := range []string{"append", "prepend", "replace", "no_replace"} {
				if has(t) {
					m.method = t
					break
				}
			}
			m.recurseStr = has("recurse_str")
			m.recurseDict = has("recurse_dict")
			m.recurseList = has("recurse_array", "recurse_list")
		case "str":
			m.strAppend = has("append")
		default:
			return nil, fmt.Errorf("no merger named %q (cloud-init has dict, list and str)", name)
		}
		out = append(out, m)
	}
	return out, nil
}

func (s mergeSpec) find(kind string) *merger {
	for i := range s {
		if s[i].kind == kind {
			return &s[i]
		}
	}
	return nil
}

// merge is LookupMerger.merge(old, new).
func (s mergeSpec) merge(old, new any, depth int) (any, error) {
	if depth > 1000 {
		return nil, fmt.Errorf("values nested too deep")
	}
	switch o := old.(type) {
	case map[string]any:
		m := s.find("dict")
		if m == nil {
			return old, nil
		}
		n, ok := new.(map[string]any)
		if !ok {
			return old, nil
		}
		out := make(map[string]any, len(o)+len(n))
		for k, v := range o {
			out[k] = v
		}
		for _, k := range sortedKeys(n) {
			v := n[k]
			ov, present := out[k]
			if !present {
				out[k] = v
				continue
			}
			if v == nil && m.allowDelete {
				delete(out, k)
				continue
			}
			if m.method == "replace" {
				out[k] = v
				continue
			}
			recurse := false
			switch v.(type) {
			case []any:
				recurse = m.recurseList
			case string:
				recurse = m.recurseStr
			case map[string]any:
				recurse = m.recurseDict
			}
			if recurse {
				r, err := s.merge(ov, v, depth+1)
				if err != nil {
					return nil, err
				}
				out[k] = r
			}
		}
		return out, nil
	case []any:
		m := s.find("list")
		if m == nil {
			return old, nil
		}
		n, isList := new.([]any)
		if m.method == "replace" && !isList {
			return new, nil
		}
		if !isList {
			switch x := new.(type) {
			case map[string]any:
				n = make([]any, 0, len(x))
				for _, k := range sortedKeys(x) {
					n = append(n, k)
				}
			case string:
				for _, r := range x {
					n = append(n, string(r))
				}
			default:
				return nil, fmt.Errorf("a list cannot be merged with %s", pyType(new))
			}
		}
		out := make([]any, 0, len(o)+len(n))
		switch m.method {
		case "prepend":
			return append(append(out, n...), o...), nil
		case "append":
			return append(append(out, o...), n...), nil
		}
		out = append(out, o...)
		for i := 0; i < len(out) && i < len(n); i++ {
			if m.method == "no_replace" {
				continue
			}
			recurse := false
			switch n[i].(type) {
			case []any:
				recurse = m.recurseList
			case string:
				recurse = m.recurseStr
			case map[string]any:
				recurse = m.recurseDict
			}
			if recurse {
				r, err := s.merge(out[i], n[i], depth+1)
				if err != nil {
					return nil, err
				}
				out[i] = r
			} else {
				out[i] = n[i]
			}
		}
		return out, nil
	case string:
		m := s.find("str")
		if m == nil {
			return old, nil
		}
		ns, ok := new.(string)
		if !m.strAppend || !ok {
			if m.strAppend && !ok {
				return nil, fmt.Errorf("a string cannot be appended with %s", pyType(new))
			}
			return new, nil
		}
		return o + ns, nil
	}
	return old, nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// pyType names a value's type the way Python would.
func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a " + reflect.TypeOf(v).String()
}

// preserves reports whether merged still holds everything of old: the
// same scalar, every element of an old list, every key of an old mapping
// with its value preserved.
func preserves(merged, old any) bool {
	switch o := old.(type) {
	case []any:
		m, ok := merged.([]any)
		if !ok {
			return false
		}
		for _, e := range o {
			found := false
			for _, f := range m {
				if reflect.DeepEqual(e, f) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case map[string]any:
		m, ok := merged.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range o {
			mv, ok := m[k]
			if !ok || !preserves(mv, v) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(merged, old)
}
