package realtools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// CloudInitPart is one part as cloud-init's own user-data parser hands it
// to a handler.
type CloudInitPart struct {
	// ContentType is the type cloud-init acts on (after re-typing).
	ContentType string
	// Filename is the part's own filename; empty when it had none (and
	// cloud-init named it part-NNN).
	Filename string
	// Name is the filename cloud-init hands the part's handler: Filename,
	// or the part-NNN (cloudinit.handlers.PART_FN_TPL, from the part's
	// position) it gave a part without one.
	Name string
	// MergeType is the Merge-Type or X-Merge-Type header the cloud-config
	// handler reads, empty when absent.
	MergeType string
	// Payload is the decoded payload.
	Payload []byte
}

// CloudInitResult is cloud-init's reading of one document: its parts, or
// the error (an exception in cloud-init) that stopped it.
type CloudInitResult struct {
	Parts []CloudInitPart
	Err   string
}

// parserScript runs cloudinit.user_data.UserDataProcessor on each document
// read from stdin (a JSON list of base64 strings) and prints a JSON list of
// results. Include and archive parts are kept as parts instead of being
// fetched or expanded (no network; the Go decoder does the same), and the
// filename each part had before cloud-init named it part-NNN is recorded.
const parserScript = `
import base64, json, sys, logging
logging.disable(logging.CRITICAL)
from cloudinit import user_data as ud, util

ud.INCLUDE_TYPES = []
ud.ARCHIVE_TYPES = []
names = {}
_orig = ud.UserDataProcessor._process_before_attach
def _before(self, msg, attached_id):
    names[id(msg)] = msg.get_filename() or ""
    return _orig(self, msg, attached_id)
ud.UserDataProcessor._process_before_attach = _before

def b(x):
    if x is None:
        return None
    if isinstance(x, str):
        x = x.encode("utf-8", "surrogateescape")
    return base64.b64encode(x).decode("ascii")

def parse(blob):
    names.clear()
    msg = ud.UserDataProcessor(None).process(blob)
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        headers = dict(part)
        merge = ""
        for h in ("Merge-Type", "X-Merge-Type"):
            v = headers.get(h, "")
            if v:
                merge = str(v)
                break
        parts.append({
            "content_type": part.get_content_type(),
            "filename": str(names.get(id(part), "")),
            "name": str(part.get_filename() or ""),
            "merge_type": merge,
            "payload": b(util.fully_decoded_payload(part)),
        })
    return parts

mode = sys.argv[1]
docs = [base64.b64decode(d or "") for d in json.load(sys.stdin)]
if mode == "parse":
    out = []
    for d in docs:
        try:
            out.append({"parts": parse(d)})
        except Exception as e:
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump(out, sys.stdout)
elif mode == "time":
    import timeit
    n = int(sys.argv[2])
    d = docs[0]
    nparts = len(parse(d))
    t = timeit.Timer(lambda: ud.UserDataProcessor(None).process(d))
    best = min(t.repeat(repeat=3, number=n)) / n
    json.dump({"seconds_per_op": best, "parts": nparts}, sys.stdout)
`

// CloudInitParse runs cloud-init's own parser (via [Python], inside the
// judge root when [JudgeRoot] is set) on each document and returns what it sees, one result per document. It ends the
// test through [RequirePythonModule] when cloud-init is missing, and fails
// it when the parser cannot be run at all or does not finish within two
// minutes.
func CloudInitParse(t testing.TB, docs ...[]byte) []CloudInitResult {
	t.Helper()
	RequirePythonModule(t, "cloudinit")
	out, err := runParser("parse", docs, parserTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		Parts []rawPart `json:"parts"`
		Error string    `json:"error"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("realtools: cloud-init parser output: %v", err)
	}
	if len(raw) != len(docs) {
		t.Fatalf("realtools: cloud-init parser gave %d results for %d documents", len(raw), len(docs))
	}
	res := make([]CloudInitResult, len(raw))
	for i, r := range raw {
		res[i].Err = r.Error
		for _, p := range r.Parts {
			res[i].Parts = append(res[i].Parts, p.part())
		}
	}
	return res
}

// rawPart is a part as the Python scripts print it.
type rawPart struct {
	ContentType string  `json:"content_type"`
	Filename    string  `json:"filename"`
	Name        string  `json:"name"`
	MergeType   string  `json:"merge_type"`
	LaunchIndex string  `json:"launch_index"` // the expand script only
	Payload     *[]byte `json:"payload"`
}

func (p rawPart) part() CloudInitPart {
	cp := CloudInitPart{ContentType: p.ContentType, Filename: p.Filename, Name: p.Name, MergeType: p.MergeType}
	if p.Payload != nil {
		cp.Payload = *p.Payload
	}
	return cp
}

// CloudInitParseTime times cloud-init's parser on doc inside one Python
// process (timeit, best of three runs of n parses) and returns the time
// per parse. It fails the test when cloud-init cannot parse doc or the
// parser does not finish within two minutes.
func CloudInitParseTime(t testing.TB, doc []byte, n int) time.Duration {
	t.Helper()
	RequirePythonModule(t, "cloudinit")
	d, _, err := cloudInitParseTime(doc, n, parserTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// cloudInitParseTime is CloudInitParseTime without the test: it also
// returns the number of parts cloud-init found in doc, so that callers can
// tell the document timed is the one they meant.
func cloudInitParseTime(doc []byte, n int, timeout time.Duration) (time.Duration, int, error) {
	out, err := runParser("time", [][]byte{doc}, timeout, strconv.Itoa(n))
	if err != nil {
		return 0, 0, err
	}
	var r struct {
		Seconds float64 `json:"seconds_per_op"`
		Parts   int     `json:"parts"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, 0, fmt.Errorf("realtools: cloud-init timing output: %v", err)
	}
	return time.Duration(r.Seconds * float64(time.Second)), r.Parts, nil
}

// parserTimeout bounds every run of cloud-init's parser (one Python
// process for all the documents of a call); a run that takes longer is
// killed and the test fails saying so.
const parserTimeout = 2 * time.Minute

// runParser runs parserScript in mode on docs and returns what it printed.
// A parser that does not finish within timeout is killed.
func runParser(mode string, docs [][]byte, timeout time.Duration, args ...string) ([]byte, error) {
	return runScript(parserScript, mode, docs, timeout, args...)
}

// runScript runs a Python script in mode on docs and returns what it
// printed. A script that does not finish within timeout is killed.
func runScript(script, mode string, docs [][]byte, timeout time.Duration, args ...string) ([]byte, error) {
	in, err := json.Marshal(docs) // []byte marshals as base64
	if err != nil {
		return nil, fmt.Errorf("realtools: cloud-init parser input: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	argv := append([]string{Python, "-c", script, mode}, args...)
	var cmd *exec.Cmd
	if root := JudgeRoot(); root != "" {
		if err := checkJudgeRoot(root); err != nil {
			return nil, fmt.Errorf("realtools: cloud-init's parser: %v", err)
		}
		scratch, err := os.MkdirTemp("", "udkit-judge-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(scratch)
		cmd = judgeCommand(ctx, root, scratch, "", argv...)
	} else {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	}
	// Do not wait forever for pipes a killed process's children may hold.
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("realtools: cloud-init's parser (%s, mode %s, %d documents) did not finish within %v and was killed; "+
			"look for a document that makes it loop, or parse fewer documents per call", Python, mode, len(docs), timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("realtools: running cloud-init's parser (%s, mode %s, %d documents): %v\n%s", Python, mode, len(docs), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// String formats a part for test failure messages.
func (p CloudInitPart) String() string {
	return fmt.Sprintf("{%s %q merge=%q %d bytes %q}", p.ContentType, p.Filename, p.MergeType, len(p.Payload), abbrev(p.Payload))
}

func abbrev(b []byte) string {
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
