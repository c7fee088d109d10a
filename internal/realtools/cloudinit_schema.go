package realtools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// schemaTimeout bounds one run of cloud-init schema, which takes a few
// seconds: a run that hangs is killed and fails the test.
const schemaTimeout = 2 * time.Minute

// SchemaVerdict is what `cloud-init schema --config-file` said about one
// cloud-config.
type SchemaVerdict struct {
	// Valid is true when cloud-init exited 0 ("Valid cloud-config").
	Valid bool
	// Output is cloud-init's combined stdout and stderr: the list of
	// schema errors when Valid is false.
	Output string
}

// knownBadCloudConfig breaks the schema in two ways (runcmd must be a list,
// permissions a string) and nothing else: a validator that accepts it is not
// validating.
const knownBadCloudConfig = "#cloud-config\nruncmd: 5\nwrite_files:\n  - path: /etc/x\n    permissions: 0644\n"

var (
	schemaCheckOnce sync.Once
	schemaCheckErr  error
)

// CloudInitSchema runs the installed `cloud-init schema --config-file` on
// data and returns its verdict.
//
// The test is skipped (or failed in strict mode, see [Strict]) when
// cloud-init or its python3-jsonschema dependency is missing: without
// jsonschema, `cloud-init schema` passes every document silently. On first
// use the helper also proves that the installed cloud-init rejects a
// known-bad config, and fails the test if it does not.
func CloudInitSchema(t testing.TB, data []byte) SchemaVerdict {
	t.Helper()
	ci := requireCloudInit(t)
	RequirePythonModule(t, "cloudinit")
	RequirePythonModule(t, "jsonschema")
	schemaCheckOnce.Do(func() { schemaCheckErr = checkSchemaDiscriminates(ci, nil, nil) })
	if schemaCheckErr != nil {
		t.Fatalf("realtools: cloud-init schema self-check: %v", schemaCheckErr)
	}
	v, err := runSchema(ci, t.TempDir(), data)
	if err != nil {
		t.Fatalf("realtools: %v", err)
	}
	return v
}

// requireCloudInit returns the cloud-init program that judges: found on
// the host's PATH, or /usr/bin/cloud-init inside the judge root
// ([JudgeRoot]). It ends the test through [Missing] when there is none.
func requireCloudInit(t testing.TB) string {
	t.Helper()
	if root := JudgeRoot(); root != "" {
		requireInRoot(t, root, "/usr/bin/cloud-init")
		return "/usr/bin/cloud-init"
	}
	return Require(t, "cloud-init")
}

// checkSchemaDiscriminates returns an error unless cloud-init schema,
// run with the extra environment env and the files (name to content)
// beside the config (see runSchemaEnv for "@IO@"), rejects a known-bad
// config.
func checkSchemaDiscriminates(ci string, env []string, files map[string]string) error {
	dir, err := os.MkdirTemp("", "udkit-schema-check")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	v, err := runSchemaEnv(ci, dir, []byte(knownBadCloudConfig), env, schemaTimeout)
	switch {
	case err != nil:
		return err
	case v.Valid:
		return errors.New("cloud-init schema accepted a known-bad cloud-config, so it is not validating (is python3-jsonschema installed for " + Python + "?):\n" + knownBadCloudConfig + v.Output)
	}
	return nil
}

// runSchema writes data to dir and runs cloud-init schema on it. Exit
// status 0 is valid, 1 invalid; anything else is an error.
func runSchema(ci, dir string, data []byte) (SchemaVerdict, error) {
	return runSchemaEnv(ci, dir, data, nil, schemaTimeout)
}

// runSchemaEnv is runSchema with extra environment env, killing cloud-init
// after timeout. "@IO@" in an env value stands for dir as cloud-init sees
// it (dir itself on the host, /udkit-io inside the judge root), so that
// a test can put modules beside the config.
func runSchemaEnv(ci, dir string, data []byte, env []string, timeout time.Duration) (SchemaVerdict, error) {
	path := filepath.Join(dir, "user-data")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return SchemaVerdict{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var cmd *exec.Cmd
	if root := JudgeRoot(); root != "" {
		if err := checkJudgeRoot(root); err != nil {
			return SchemaVerdict{}, err
		}
		scratch, err := os.MkdirTemp("", "udkit-judge-")
		if err != nil {
			return SchemaVerdict{}, err
		}
		defer os.RemoveAll(scratch)
		argv := []string{"/usr/bin/env"}
		for _, e := range env {
			argv = append(argv, strings.ReplaceAll(e, "@IO@", judgeIODir))
		}
		path = judgeIODir + "/user-data"
		argv = append(argv, ci, "schema", "--config-file", path)
		cmd = judgeCommand(ctx, root, scratch, dir, argv...)
	} else {
		cmd = exec.CommandContext(ctx, ci, "schema", "--config-file", path)
		if env != nil {
			cmd.Env = os.Environ()
			for _, e := range env {
				cmd.Env = append(cmd.Env, strings.ReplaceAll(e, "@IO@", dir))
			}
		}
	}
	cmd.WaitDelay = waitDelay // a child holding the output open cannot block Wait
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return SchemaVerdict{}, fmt.Errorf("cloud-init schema --config-file %s did not finish within %v and was killed; it normally takes seconds: run it by hand to see where it hangs\n%s", path, timeout, out.String())
	case err == nil:
		return SchemaVerdict{Valid: true, Output: out.String()}, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return SchemaVerdict{Valid: false, Output: out.String()}, nil
	}
	return SchemaVerdict{}, errors.New("cloud-init schema --config-file " + path + ": " + err.Error() + "\n" + out.String())
}

// CloudInitSchemaFile is where Debian's cloud-init package installs the
// JSON schema for cloud-config.
const CloudInitSchemaFile = "/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json"

// RequireCloudInitSchemaFile returns [CloudInitSchemaFile] (inside the
// judge root when [JudgeRoot] is set: the schema of the cloud-init that
// judges), or ends the test (skipped normally, failed in strict mode) when
// it is not there.
func RequireCloudInitSchemaFile(t testing.TB) string {
	t.Helper()
	path := CloudInitSchemaFile
	if root := JudgeRoot(); root != "" {
		path = filepath.Join(root, CloudInitSchemaFile)
	}
	if _, err := os.Stat(path); err != nil {
		Missing(t, "cloud-init's JSON schema: "+err.Error()+"; run `make deps` to install cloud-init")
	}
	return path
}

// waitDelay bounds the wait for the pipes of a killed tool's children.
const waitDelay = 10 * time.Second
