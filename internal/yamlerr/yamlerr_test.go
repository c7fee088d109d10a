package yamlerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSplit(t *testing.T) {
	var n yaml.Node
	err := yaml.Unmarshal([]byte("a: 1\nb: [\n"), &n)
	if err == nil {
		t.Fatal("no error")
	}
	line, msg := Split(err)
	if line != 2 || msg == "" || msg[0:4] == "line" {
		t.Errorf("Split(%q) = %d, %q", err, line, msg)
	}
	// Some errors name no line.
	err = yaml.Unmarshal([]byte("a: \"x"), &n)
	if line, msg := Split(err); line != 0 || msg != "found unexpected end of stream" {
		t.Errorf("Split(%q) = %d, %q", err, line, msg)
	}
}
