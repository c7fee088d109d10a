package cloudconfig

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// allStrings calls f with every string of at most n bytes over alphabet.
func allStrings(alphabet string, n int, f func(string)) {
	var rec func(prefix string)
	rec = func(prefix string) {
		f(prefix)
		if len(prefix) == n {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			rec(prefix + alphabet[i:i+1])
		}
	}
	rec("")
}

// TestMatchersSameAsRegexp holds the hand-written matchers to the
// regular expressions they replace, on every string of up to 5 or 6
// bytes over alphabets with each character class the expressions tell
// apart.
func TestMatchersSameAsRegexp(t *testing.T) {
	allStrings("az_-09$A.", 5, func(s string) {
		if got, want := isName(s), reName.MatchString(s); got != want {
			t.Fatalf("isName(%q) = %v, reName says %v", s, got, want)
		}
	})
	allStrings("0o789x", 6, func(s string) {
		if got, want := isOctalMode(s), reOctal.MatchString(s); got != want {
			t.Fatalf("isOctalMode(%q) = %v, reOctal says %v", s, got, want)
		}
	})
	allStrings("0123456789", 5, func(s string) {
		if intDigits11(s) && resolve11Regexp(s) != tagInt {
			t.Fatalf("intDigits11(%q) but resolve11Regexp says %s", s, resolve11Regexp(s))
		}
		if got, want := resolve11(s), resolve11Regexp(s); got != want {
			t.Fatalf("resolve11(%q) = %s, resolve11Regexp says %s", s, got, want)
		}
		if allDigits(s) != (s != "" && reNum12.MatchString(s)) {
			t.Fatalf("allDigits(%q) = %v, reNum12 disagrees", s, allDigits(s))
		}
	})
	allStrings("tyO~<3.:-e", 5, func(s string) {
		if got, want := resolveV3(s), (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag(); got != want {
			t.Fatalf("resolveV3(%q) = %s, yaml.v3 says %s", s, got, want)
		}
	})
	allStrings("0178_x:.", 5, func(s string) {
		if got, want := resolve11(s), resolve11Regexp(s); got != want {
			t.Fatalf("resolve11(%q) = %s, resolve11Regexp says %s", s, got, want)
		}
	})
}
