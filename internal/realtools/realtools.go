// Package realtools runs the real tools that judge udkit's output in tests:
// cloud-init's own parser and schema validator, systemd-analyze verify, and
// the like.
//
// A test that needs a tool calls [Require]. When the tool is missing the
// test is skipped on a developer's machine, but fails when the environment
// says the tools must be there (CI, or `make test`, which installs them and
// sets UDKIT_STRICT_TOOLS=1): a check that silently skips in CI is no check.
//
// With [JudgeRootEnv] (UDKIT_JUDGE_ROOT) set to a Debian root file system,
// cloud-init's parser and schema check, systemd-analyze verify and systemd
// --test run inside that root instead of on the host: `make judge` uses the
// Debian 13 e2e image as a second judge beside the host's Debian 12.
package realtools

import (
	"os"
	"os/exec"
	"sync"
	"testing"
)

// Python is the interpreter that has cloud-init's modules. The python3
// first on PATH may be another build without them.
const Python = "/usr/bin/python3"

// Strict reports whether missing tools must fail tests instead of skipping
// them.
func Strict() bool {
	return os.Getenv("CI") != "" || os.Getenv("UDKIT_STRICT_TOOLS") == "1"
}

// Require returns the full path of the program name (a command looked up on
// PATH, or an absolute path), or ends the test: skipped normally, failed in
// strict mode.
func Require(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" not found ("+err.Error()+"); run `make deps` to install it")
	}
	return path
}

// RequirePythonModule checks that [Python] can import module, with the same
// skip-or-fail rule as [Require]. When [JudgeRoot] is set, it is the
// judge root's Python that must import it.
func RequirePythonModule(t testing.TB, module string) {
	t.Helper()
	if root := JudgeRoot(); root != "" {
		requireInRoot(t, root, Python)
		v, _ := pythonModules.LoadOrStore(module, new(moduleCheck))
		c := v.(*moduleCheck)
		c.once.Do(func() { c.out, c.err = judgeOutput(Python, "-c", "import "+module) })
		if c.err != nil {
			Missing(t, Python+" in the judge root "+root+" cannot import "+module+": "+string(c.out)+": "+c.err.Error())
		}
		return
	}
	Require(t, Python)
	if out, err := exec.Command(Python, "-c", "import "+module).CombinedOutput(); err != nil {
		Missing(t, Python+" cannot import "+module+": "+string(out)+"; run `make deps` to install cloud-init")
	}
}

// moduleCheck is the cached result of importing one module in the judge
// root (each check starts a namespace: once per module is enough).
type moduleCheck struct {
	once sync.Once
	out  []byte
	err  error
}

var pythonModules sync.Map

// Missing ends the test because a tool is missing: Fatal in strict mode,
// Skip otherwise.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Strict() {
		t.Fatal("required tool missing: " + why)
	}
	t.Skip("skipped, tool missing: " + why)
}
