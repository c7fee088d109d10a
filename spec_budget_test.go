package udkit

import (
	"strings"
	"testing"
)

// A spec's cloud_config with more nodes than cloudconfig takes is refused
// from the spec's own tree (cloudconfig.ParseNode counts them while it
// reads them), without a second YAML parse that doubles the memory.
func TestSpecCloudConfigNodeLimit(t *testing.T) {
	const maxNodes = 100000 // cloudconfig's limit
	spec := "name: web\nderegister:\n  command: [/usr/local/bin/leave]\ncloud_config:\n  x: [" + strings.Repeat("a,", maxNodes) + "b]\n"
	_, err := ParseSpecFile([]byte(spec), nil)
	if err == nil || !strings.Contains(err.Error(), "cloud_config") || !strings.Contains(err.Error(), "more than 100000 YAML nodes") {
		t.Errorf("error %v, want one about the nodes of cloud_config", err)
	}
}
