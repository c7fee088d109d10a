package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/udkit/udkit/registry/store"
)

// backup streams a backup file of the whole registry (admin token), read
// in one transaction ([store.Store.Backup]). The file holds token hashes:
// only an admin gets it, and the audit log records who did.
func (h *Handler) backup(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) || !h.noBody(w, r) {
		return
	}
	cw := &countWriter{w: w}
	w.Header().Set("Content-Type", store.BackupContentType)
	info, err := h.st.Backup(r.Context(), cw)
	if err != nil {
		if cw.n == 0 {
			w.Header().Del("Content-Type")
			h.fail(w, r, err)
			return
		}
		// The status is sent: the client sees a truncated file, which
		// fails its check.
		h.log.Error("backup failed after " + strconv.FormatInt(cw.n, 10) + " bytes: " + err.Error())
		return
	}
	h.audit(r, "backup", "schema_version", info.SchemaVersion, "tables", info.Tables, "rows", info.Rows, "sha256", info.SHA256)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
