// Package udgolden is a golden-file assertion for user data: it compares
// the output of a test with a golden file by what cloud-init sees, and
// reports a mismatch as a semantic diff (package
// github.com/udkit/udkit/semdiff) instead of a diff of base64 or gzip
// bytes.
//
//	func TestUserData(t *testing.T) {
//		got := buildUserData() // base64, gzip'd, MIME: any encoding
//		udgolden.AssertUserData(t, "testdata/user-data.golden", got)
//	}
//
// Run the tests with -update to rewrite the golden files, as with
// [golden.Assert]; the failure message gives the exact command. It lives
// apart from package golden because it imports userdata, whose tests
// import golden. It builds without cgo.
package udgolden

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/semdiff"
)

// AssertUserData compares the user data got with the golden file at path
// as cloud-init sees them: both are decoded (base64, gzip, MIME) and
// their parts compared by [semdiff.Documents]. Documents that differ only
// in encoding (another MIME boundary, gzip level, header order) match,
// so a composer with random boundaries can be tested; use [golden.Assert]
// to pin the bytes too. On a mismatch the test is marked failed with the
// semantic diff (- the golden file, + got) and the command that rewrites
// the file; when either document cannot be decoded, with that error and a
// line diff. With -update, got is written to path.
func AssertUserData(t testing.TB, path string, got []byte) {
	t.Helper()
	golden.AssertFunc(t, path, got, func(want, got []byte) string {
		if bytes.Equal(want, got) {
			return ""
		}
		r, err := semdiff.Documents(want, got, semdiff.Options{NameA: path, NameB: "got"})
		if err != nil {
			return fmt.Sprintf("golden: %s: mismatch, and the user data cannot be decoded to compare it as cloud-init sees it: %v\n(-want +got):\n%s",
				path, err, cmp.Diff(string(want), string(got)))
		}
		if r.Equal() {
			return ""
		}
		return fmt.Sprintf("golden: %s: user data differs as cloud-init sees it (-want +got):\n%s", path, r)
	})
}
