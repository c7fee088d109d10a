package cloudconfig

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/internal/budget"
)

// Node returns c as the YAML mapping node that Marshal renders, with keys in
// Marshal's order. The node is freshly built; changing it does not change
// c.
func (c *Config) Node() (*yaml.Node, error) {
	n, err := c.node()
	if err != nil {
		return nil, err
	}
	return copyNode(n), nil
}

// Value returns c as cloud-init's loader (PyYAML's safe_load) would see the
// rendered document: map[string]any for mappings (YAML merge keys applied,
// the last of duplicate keys winning), []any for sequences, and string,
// bool, nil, int64 (*big.Int when larger), float64, time.Time for YAML 1.1
// timestamps and []byte for !!binary. It is what a JSON schema validator or
// a JSON dump of the config works on.
func (c *Config) Value() (map[string]any, error) {
	// Read the rendering back rather than trusting the nodes: how a
	// hand-built node reads depends on how the encoder quotes it.
	data, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	n, err := parseRoot(data, budget.Default())
	if err != nil {
		return nil, fmt.Errorf("cloudconfig: internal error: rendering does not parse: %w", err)
	}
	v, err := toValue(n, 0)
	if err != nil {
		return nil, err
	}
	return v.(map[string]any), nil
}

func toValue(n *yaml.Node, depth int) (any, error) {
	if depth > 10000 {
		return nil, fmt.Errorf("cloudconfig: value nested more than 10000 deep")
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("cloudconfig: alias without anchor")
		}
		return toValue(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toValue(n.Content[0], depth+1)
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := toValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.MappingNode:
		m := map[string]any{}
		var explicit [][2]*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Style == 0 && k.Tag != tagStr || longToShort(k.Tag) == tagMerge) {
				if err := mergeInto(m, v, depth); err != nil {
					return nil, err
				}
				continue
			}
			explicit = append(explicit, [2]*yaml.Node{k, v})
		}
		for _, kv := range explicit {
			v, err := toValue(kv[1], depth+1)
			if err != nil {
				return nil, err
			}
			m[kv[0].Value] = v
		}
		return m, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, fmt.Errorf("cloudconfig: unknown YAML node kind %d", n.Kind)
}

// mergeInto applies a YAML merge key's value (a mapping or a list of
// mappings, the first one winning) as PyYAML's flatten_mapping does.
func mergeInto(m map[string]any, v *yaml.Node, depth int) error {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	var maps []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, e := range v.Content {
			for e.Kind == yaml.AliasNode && e.Alias != nil {
				e = e.Alias
			}
			if e.Kind != yaml.MappingNode {
				return fmt.Errorf("cloudconfig: line %d: a merge key takes mappings, not %s", e.Line, describe(e))
			}
			maps = append(maps, e)
		}
	default:
		return fmt.Errorf("cloudconfig: line %d: a merge key takes a mapping, not %s", v.Line, describe(v))
	}
	for i := len(maps) - 1; i >= 0; i-- {
		sub, err := toValue(maps[i], depth+1)
		if err != nil {
			return err
		}
		for k, x := range sub.(map[string]any) {
			m[k] = x
		}
	}
	return nil
}

var reTimeParts = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$`)

func scalarValue(n *yaml.Node) (any, error) {
	s := n.Value
	switch effectiveTag(n) {
	case tagStr:
		return s, nil
	case tagNull:
		return nil, nil
	case tagBool:
		b, _ := fitBool(&yaml.Node{Kind: yaml.ScalarNode, Value: s})
		if n.Style&yaml.TaggedStyle != 0 {
			// !!bool with an explicit tag: PyYAML's bool constructor
			// looks the lower-cased value up.
			switch strings.ToLower(s) {
			case "yes", "true", "on":
				b = true
			case "no", "false", "off":
				b = false
			default:
				return nil, fmt.Errorf("cloudconfig: line %d:%d: %q is not a boolean", n.Line, n.Column, s)
			}
		}
		return b, nil
	case tagInt:
		return int11(n)
	case tagFloat:
		return float11(n)
	case tagTimestamp:
		m := reTimeParts.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("cloudconfig: line %d:%d: %q is not a timestamp", n.Line, n.Column, s)
		}
		a := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		if m[4] == "" {
			return time.Date(a(1), time.Month(a(2)), a(3), 0, 0, 0, 0, time.UTC), nil
		}
		nsec := 0
		if m[7] != "" {
			frac := (m[7] + "000000000")[:9]
			nsec, _ = strconv.Atoi(frac)
		}
		loc := time.UTC
		if m[9] != "" {
			off := a(10)*3600 + a(11)*60
			if m[9] == "-" {
				off = -off
			}
			loc = time.FixedZone("", off)
		}
		return time.Date(a(1), time.Month(a(2)), a(3), a(4), a(5), a(6), nsec, loc), nil
	case tagBinary:
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("cloudconfig: line %d:%d: !!binary is not base64: %v", n.Line, n.Column, err)
		}
		return b, nil
	case tagMerge, tagValue:
		return s, nil
	}
	return nil, fmt.Errorf("cloudconfig: line %d:%d: tag %s is not one cloud-init's YAML loader knows", n.Line, n.Column, n.Tag)
}

// int11 converts a YAML 1.1 integer as PyYAML's construct_yaml_int does.
func int11(n *yaml.Node) (any, error) {
	s := strings.ReplaceAll(n.Value, "_", "")
	sign := 1
	if strings.HasPrefix(s, "-") {
		sign, s = -1, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	z := new(big.Int)
	ok := true
	switch {
	case s == "0":
	case strings.HasPrefix(s, "0b"):
		_, ok = z.SetString(s[2:], 2)
	case strings.HasPrefix(s, "0x"):
		_, ok = z.SetString(s[2:], 16)
	case strings.HasPrefix(s, "0"):
		_, ok = z.SetString(s[1:], 8)
	case strings.Contains(s, ":"):
		for _, d := range strings.Split(s, ":") {
			v, err := strconv.Atoi(d)
			if err != nil {
				ok = false
				break
			}
			z.Mul(z, big.NewInt(60))
			z.Add(z, big.NewInt(int64(v)))
		}
	default:
		_, ok = z.SetString(s, 10)
	}
	if !ok {
		return nil, fmt.Errorf("cloudconfig: line %d:%d: %q is not an integer", n.Line, n.Column, n.Value)
	}
	if sign < 0 {
		z.Neg(z)
	}
	if z.IsInt64() {
		return z.Int64(), nil
	}
	return z, nil
}

// float11 converts a YAML 1.1 float as PyYAML's construct_yaml_float does.
func float11(n *yaml.Node) (any, error) {
	s := strings.ToLower(strings.ReplaceAll(n.Value, "_", ""))
	sign := 1.0
	if strings.HasPrefix(s, "-") {
		sign, s = -1, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	switch {
	case s == ".inf":
		return sign * math.Inf(1), nil
	case s == ".nan":
		return math.NaN(), nil
	case strings.Contains(s, ":"):
		v := 0.0
		for _, d := range strings.Split(s, ":") {
			f, err := strconv.ParseFloat(d, 64)
			if err != nil {
				return nil, fmt.Errorf("cloudconfig: line %d:%d: %q is not a number", n.Line, n.Column, n.Value)
			}
			v = v*60 + f
		}
		return sign * v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("cloudconfig: line %d:%d: %q is not a number", n.Line, n.Column, n.Value)
	}
	return sign * f, nil
}
