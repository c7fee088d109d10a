package cloudconfig_test

import (
	"os"

	"github.com/udkit/udkit/golden"
	"testing"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.Assert(t, path, got)
}
