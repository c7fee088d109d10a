package store_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/udkit/udkit/registry/store"
)

// ExampleVerifyBackup checks a backup file (format, every row, counts and
// checksum) without a database, as udkitd backup does before it renames
// the file into place and udkitd restore before it creates anything.
func ExampleVerifyBackup() {
	f, err := os.Open("testdata/backup-types.udkb")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	info, err := store.VerifyBackup(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("schema version %d, %d tables, %d rows, taken %s\n", info.SchemaVersion, info.Tables, info.Rows, info.CreatedAt.Format("2006-01-02"))

	// A damaged file names the line.
	_, err = store.VerifyBackup(strings.NewReader(store.BackupMagic + "\n[1]\n"))
	fmt.Println(err)
	// Output:
	// schema version 6, 4 tables, 10 rows, taken 2026-12-03
	// backup file line 2: the header record must come first
}
