package realtools

import (
	"encoding/json"
	"testing"
)

// CloudInitInclude is one URL an include part (#include, #include-once,
// text/x-include-url, text/x-include-once-url) makes cloud-init fetch.
type CloudInitInclude struct {
	URL string
	// Once says cloud-init reads the URL through its include-once cache.
	Once bool
}

// CloudInitActed is cloud-init's reading of one document with everything
// its user-data processor does in place: archives exploded into their
// entries, includes fetched (here: recorded, never fetched) and their
// parts dropped, launch indexes attached.
type CloudInitActed struct {
	// Parts are the parts cloud-init hands its handlers, in order.
	Parts []CloudInitPart
	// LaunchIndex holds each part's Launch-Index header after cloud-init's
	// _attach_launch_index, "" when it has none; one entry per part.
	LaunchIndex []string
	// Includes are the URLs cloud-init would fetch, in order.
	Includes []CloudInitInclude
	// Err is the exception that stopped cloud-init, or "".
	Err string
}

// expandScript runs cloudinit.user_data.UserDataProcessor as cloud-init
// does, archive expansion and includes on, with its URL reader replaced:
// every URL it would fetch is recorded and answers nothing (no network, no
// include-once cache file written), so an include adds no parts, as on a
// boot where the URL is unreachable.
const expandScript = `
import base64, json, sys, logging, hashlib
logging.disable(logging.CRITICAL)
from cloudinit import user_data as ud, util

names = {}
includes = []
pending_once = [None]

class _NoContent:
    code = 200
    contents = None
    def ok(self, *a, **k):
        return True

def _read(url, *args, **kwargs):
    once = pending_once[0] == url
    pending_once[0] = None
    includes.append({"url": str(url), "once": once})
    return _NoContent()
ud.read_file_or_url = _read

def _once_fn(self, entry):
    pending_once[0] = entry.strip() if isinstance(entry, str) else entry
    return "/nonexistent/udkit-include-once/" + hashlib.md5(str(entry).encode()).hexdigest()
ud.UserDataProcessor._get_include_once_filename = _once_fn

_orig_write = util.write_file
def _write(path, *a, **k):
    if str(path).startswith("/nonexistent/udkit-include-once/"):
        return
    return _orig_write(path, *a, **k)
ud.util.write_file = _write

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
    del includes[:]
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
        li = part.get("Launch-Index")
        parts.append({
            "content_type": part.get_content_type(),
            "filename": str(names.get(id(part), "")),
            "name": str(part.get_filename() or ""),
            "merge_type": merge,
            "launch_index": "" if li is None else str(li),
            "payload": b(util.fully_decoded_payload(part)),
        })
    return parts, list(includes)

out = []
for d in [base64.b64decode(d or "") for d in json.load(sys.stdin)]:
    try:
        parts, incs = parse(d)
        out.append({"parts": parts, "includes": incs})
    except Exception as e:
        out.append({"error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
`

// CloudInitExpand runs cloud-init's user-data processor on each document
// with archive expansion and includes on (URLs recorded, never fetched)
// and returns what its handlers would be given, one result per document.
// It ends the test through [RequirePythonModule] when cloud-init is
// missing.
func CloudInitExpand(t testing.TB, docs ...[]byte) []CloudInitActed {
	t.Helper()
	RequirePythonModule(t, "cloudinit")
	out, err := runScript(expandScript, "expand", docs, parserTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct {
		Parts    []rawPart `json:"parts"`
		Includes []struct {
			URL  string `json:"url"`
			Once bool   `json:"once"`
		} `json:"includes"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("realtools: cloud-init expand output: %v", err)
	}
	if len(raw) != len(docs) {
		t.Fatalf("realtools: cloud-init expand gave %d results for %d documents", len(raw), len(docs))
	}
	res := make([]CloudInitActed, len(raw))
	for i, r := range raw {
		res[i].Err = r.Error
		for _, p := range r.Parts {
			res[i].Parts = append(res[i].Parts, p.part())
			res[i].LaunchIndex = append(res[i].LaunchIndex, p.LaunchIndex)
		}
		for _, inc := range r.Includes {
			res[i].Includes = append(res[i].Includes, CloudInitInclude{URL: inc.URL, Once: inc.Once})
		}
	}
	return res
}
