package udkit_test

import (
	"fmt"

	"github.com/udkit/udkit"
)

// ExampleExpandArchive lists the parts cloud-init makes of a
// #cloud-config-archive: an entry without a type is typed by its first
// line, and a part without a filename is named part-NNN by cloud-init.
func ExampleExpandArchive() {
	archive := []byte(`#cloud-config-archive
- type: text/x-shellscript
  filename: hello.sh
  content: |
    #!/bin/sh
    echo hello
- |
  #cloud-config
  timezone: Etc/UTC
`)
	entries, err := udkit.ExpandArchive(archive, udkit.NewBudget())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range entries {
		fmt.Printf("entry %d, line %d: %s, %d bytes\n", e.Index, e.Line, e.Label(), len(e.Body))
	}
	// Output:
	// entry 1, line 4: text/x-shellscript "hello.sh", 21 bytes
	// entry 2, line 7: text/cloud-config, 32 bytes
}

// ExampleLint_archive lints the cloud-config entries of an archive: the
// finding names the entry and has the line of the document.
func ExampleLint_archive() {
	archive := []byte(`#cloud-config-archive
- content: |
    #cloud-config
    packages: curl
`)
	_, findings, err := udkit.Lint(archive)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range findings {
		fmt.Println(f)
	}
	// Output:
	// part 1 (text/cloud-config-archive entry 1 (text/cloud-config)): packages: line 4:15: error: must be a list, not the string "curl" [list]
}
