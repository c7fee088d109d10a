// Command gen writes the hostile documents of package hostile to files,
// to measure the udkit CLI on them:
//
//	go run ./internal/hostile/gen DIR
//	/usr/bin/time -v udkit lint DIR/alias-parts.gz
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/udkit/udkit/internal/hostile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	files := map[string][]byte{
		"alias-parts.gz":         hostile.AliasParts(998, 900),
		"shared-gzip-units.yaml": hostile.SharedGzipUnits(60, 4<<20-4096, 2000),
		"shared-gzip-lines.yaml": hostile.SharedGzipUnits(50, 4<<20-4096, 80),
		"shared-gzip-parts.gz":   hostile.SharedGzipParts(100),
		"wide-a.yaml":            hostile.WideMapping(105000, 0),
		"wide-b.yaml":            hostile.ReversedMapping(105000, 1),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d bytes\n", name, len(data))
	}
}
