package semdiff_test

import (
	"fmt"

	"github.com/udkit/udkit/semdiff"
)

// Two launch templates' user data: the second is base64-encoded and
// changes one value and adds a package.
func ExampleDocuments() {
	before := []byte("#cloud-config\npackages: [nfs-common]\nwrite_files:\n  - path: /etc/default/app\n    content: CLUSTER=cluster-1\n")
	after := []byte("I2Nsb3VkLWNvbmZpZwpwYWNrYWdlczogW25mcy1jb21tb24sIGN1cmxdCndyaXRlX2ZpbGVzOgogIC0gcGF0aDogL2V0Yy9kZWZhdWx0L2FwcAogICAgY29udGVudDogQ0xVU1RFUj1jbHVzdGVyLTIK")
	r, err := semdiff.Documents(before, after, semdiff.Options{NameA: "before", NameB: "after"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(r)
	fmt.Println("equal:", r.Equal())
	// Output:
	// note: after is base64, before is not (encoding only, not counted)
	// --- before
	// +++ after
	// @@ part 1 (text/cloud-config) @@
	// +packages[1]: curl
	// -write_files[/etc/default/app].content: CLUSTER=cluster-1
	// +write_files[/etc/default/app].content: CLUSTER=cluster-2
	// equal: false
}
