//go:build e2e && linux

package e2e

import (
	"fmt"
	"os"
	"testing"
)

// TestMain makes missing tools fatal (a build with -tags e2e asked for the
// real boot, so skipping would hide that nothing ran) and removes the
// extracted root file system once every test is done.
func TestMain(m *testing.M) {
	os.Setenv("UDKIT_STRICT_TOOLS", "1")
	code := m.Run()
	printTimings(os.Stdout)
	if err := removeImage(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cleanup:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
