// Package semdiff compares two user-data documents by what cloud-init
// sees, not by their bytes.
//
// Both documents are decoded as cloud-init would ([userdata.Decode]:
// base64, gzip, MIME multipart in any combination), so two documents that
// differ only in encoding (gzip, base64, MIME boundary, header order,
// transfer encoding) compare equal; [Result.Notes] says which encodings
// differ. Parts are then paired:
//
//  1. by filename, when it is present and unique in both documents;
//  2. by content type and position, for each content type with as many
//     parts left in one document as in the other;
//  3. by content similarity (at least half of the lines in common), most
//     similar first.
//
// So the same content composed by another tool (other boundaries, headers
// in another order, filenames present in one and absent in the other)
// diffs as equal. A pair of parts is compared:
//
//   - cloud-config by YAML path: mappings key by key, write_files entries
//     matched by their path (write_files[/etc/x].content), units written
//     by write_files by section and key ("[Service] ExecStop=..."), other
//     lists element by element in flow form;
//   - other parts line by line.
//
// Lines and list elements are aligned with Myers' O(ND) algorithm in its
// linear-space form, so a two-line change in a 1 MiB script shows as two
// lines. The work of one comparison is bounded (alignment steps, YAML
// bytes parsed, mapping keys indexed rather than searched), so any input
// up to userdata's size limit is compared within a second or two; past
// the alignment budget, the rest of a text is shown as replaced.
//
// [Result.String] is the text `udkit diff` prints: notes, then either
// "same: A and B give cloud-init the same parts" or
//
//	--- before.txt
//	+++ after.txt
//	@@ part 1 (text/cloud-config "cloud-config") @@
//	-write_files[/etc/default/app].content: CLUSTER=cluster-1
//	+write_files[/etc/default/app].content: CLUSTER=cluster-2
//	+packages[1]: curl
//	@@ part 2 (text/x-shellscript "check.sh") @@
//	-only in before.txt
//
// with every string from the documents escaped by [diag.Escape]. The
// [Result] marshals to the JSON of `udkit diff --json` (schema 1), apart
// from the "schema" and "equal" fields the CLI adds.
//
// For golden tests of user data, udgolden.AssertUserData (package
// github.com/udkit/udkit/golden/udgolden) reports a mismatch as this
// diff.
//
// The package builds without cgo and imports neither net/http nor
// go-dqlite.
package semdiff
