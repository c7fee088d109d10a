package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/store"
)

const backupUsage = `usage: udkitd backup FILE [--url URL] [--admin-token-file FILE | --data DIR] [flags]

Writes a backup of the whole registry to FILE: every table (members,
leases, join and admin token hashes, released ids, ...) as it was in one
read transaction of the Raft leader, taken while the registry serves. The
file has a format line, a header with the schema version, and a SHA-256
checksum; it is checked before it is renamed into place (atomically,
mode 0600: it holds token hashes and every member's data).

Limits: the registry streams the file within its HTTP write timeout
(60 s); see docs/registry.md for the measured size and time.

flags:
`

const restoreUsage = `usage: udkitd restore FILE --data DIR [--dqlite ADDR] [--tls-cert F --tls-key F --tls-ca F]

Checks the backup FILE (format, every row, checksum), then makes DIR a new
single-node registry holding exactly its contents: it starts a dqlite node
in DIR at --dqlite ADDR (the address you will serve it at: dqlite keeps it),
creates the tables, inserts every row, and stops the node. DIR must be
absent or empty; on any error what restore made is removed. Then run
"udkitd serve --data DIR --dqlite ADDR": it migrates an older schema,
mints this node's admin token into DIR/admin.token, and the source's
tokens (admin, join and member) still work. More nodes join it as usual.

flags:
`

// splitFileArg lets FILE come before or after the flags: Go's flag
// package stops at the first argument that is not a flag.
func splitFileArg(args []string) (string, []string) {
	if len(args) > 0 && args[0] != "" && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// parseWithFile parses args with fs, taking one FILE argument before or
// after the flags. It returns the file ("" if none), the arguments left
// over, and ok false with the exit code when parsing stopped (-h: 0).
func parseWithFile(fs *flag.FlagSet, args []string) (file string, rest []string, code int, ok bool) {
	file, rest = splitFileArg(args)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, exitOK, false
		}
		return "", nil, exitUsage, false
	}
	if file == "" && fs.NArg() > 0 {
		return fs.Arg(0), fs.Args()[1:], 0, true
	}
	return file, fs.Args(), 0, true
}

func backup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, o := adminFlags("udkitd backup", stderr)
	fs.Lookup("timeout").DefValue = "10m0s"
	o.timeout = 10 * time.Minute
	fs.Usage = func() {
		io.WriteString(stderr, backupUsage)
		fs.PrintDefaults()
	}
	file, rest, code, ok := parseWithFile(fs, args)
	if !ok {
		return code
	}
	if file == "" || len(rest) != 0 {
		fmt.Fprintln(stderr, "udkitd backup: want one FILE argument: where to write the backup")
		return exitUsage
	}
	if o.cluster != "" {
		fmt.Fprintln(stderr, "udkitd backup: a backup holds every cluster; drop --cluster")
		return exitUsage
	}
	c, err := o.client()
	if err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitUsage
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-"+filepath.Base(file)+"-*")
	if err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitTrouble
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing to remove
	defer tmp.Close()
	if err := tmp.Chmod(0o600); err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitTrouble
	}
	if _, err := c.Backup(ctx, tmp); err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return requestExit(err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitTrouble
	}
	info, err := store.VerifyBackup(tmp)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd backup: the registry sent a file that does not check (nothing written to %s): %v\n", file, err)
		return exitTrouble
	}
	if err := tmp.Sync(); err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitTrouble
	}
	if err := tmp.Close(); err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitTrouble
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		fmt.Fprintf(stderr, "udkitd backup: %v\n", err)
		return exitTrouble
	}
	if d, err := os.Open(filepath.Dir(file)); err == nil {
		d.Sync() // the rename, durable
		d.Close()
	}
	fmt.Fprintf(stdout, "%s: schema version %d, %d tables, %d rows, taken %s, sha256 %s\n",
		file, info.SchemaVersion, info.Tables, info.Rows, info.CreatedAt.Format(time.RFC3339), info.SHA256)
	return exitOK
}

func restore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("udkitd restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the new node's data `DIR` (required; absent or empty)")
	addr := fs.String("dqlite", dqlitenode.DefaultAddress, "`ADDR` the node will be served at (udkitd serve --dqlite)")
	cert := fs.String("tls-cert", "", "PEM certificate `FILE`, as for serve (a non-loopback --dqlite)")
	key := fs.String("tls-key", "", "PEM key `FILE` of --tls-cert")
	ca := fs.String("tls-ca", "", "PEM `FILE` of the cluster CA")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	fs.Usage = func() {
		io.WriteString(stderr, restoreUsage)
		fs.PrintDefaults()
	}
	file, rest, code, ok := parseWithFile(fs, args)
	if !ok {
		return code
	}
	if file == "" || len(rest) != 0 || *data == "" {
		fmt.Fprintln(stderr, "udkitd restore: want FILE and --data DIR")
		return exitUsage
	}
	n := 0
	for _, f := range []string{*cert, *key, *ca} {
		if f != "" {
			n++
		}
	}
	if n != 0 && n != 3 {
		fmt.Fprintln(stderr, "udkitd restore: --tls-cert, --tls-key and --tls-ca go together")
		return exitUsage
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd restore: %v\n", err)
		return exitTrouble
	}
	defer f.Close()
	info, err := store.VerifyBackup(f)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd restore: %s: %v\n", file, err)
		return exitTrouble
	}
	if info.SchemaVersion > store.SchemaVersion {
		fmt.Fprintf(stderr, "udkitd restore: %s has schema version %d, newer than this udkitd's %d: restore it with a newer udkitd\n", file, info.SchemaVersion, store.SchemaVersion)
		return exitTrouble
	}
	entries, err := os.ReadDir(*data)
	created := false
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(*data, 0o700); err != nil {
			fmt.Fprintf(stderr, "udkitd restore: %v\n", err)
			return exitTrouble
		}
		created = true
	case err != nil:
		fmt.Fprintf(stderr, "udkitd restore: --data %s: %v\n", *data, err)
		return exitTrouble
	case len(entries) != 0:
		fmt.Fprintf(stderr, "udkitd restore: --data %s is not empty (it holds %s): restore only into a fresh node's data directory\n", *data, entries[0].Name())
		return exitTrouble
	}
	undo := func() {
		if created {
			os.RemoveAll(*data)
			return
		}
		if es, err := os.ReadDir(*data); err == nil {
			for _, e := range es {
				os.RemoveAll(filepath.Join(*data, e.Name()))
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	cfg := dqlitenode.Config{Dir: filepath.Join(*data, "dqlite"), Address: *addr, Log: func(string, string) {}}
	if *cert != "" {
		cfg.TLS = &dqlitenode.TLS{CertFile: *cert, KeyFile: *key, CAFile: *ca}
	}
	node, err := dqlitenode.Start(ctx, cfg)
	if err != nil {
		undo()
		fmt.Fprintf(stderr, "udkitd restore: %v\n", err)
		return exitTrouble
	}
	_, err = store.Restore(ctx, node.DB(), f)
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	cerr := node.Close(cctx)
	ccancel()
	if err == nil && cerr != nil {
		err = fmt.Errorf("stop the node: %w", cerr)
	}
	if err != nil {
		undo()
		fmt.Fprintf(stderr, "udkitd restore: %v (nothing left in %s)\n", err, *data)
		return exitTrouble
	}
	fmt.Fprintf(stdout, "restored %s into %s: schema version %d, %d tables, %d rows, taken %s; start it with: udkitd serve --data %s --dqlite %s\n",
		file, *data, info.SchemaVersion, info.Tables, info.Rows, info.CreatedAt.Format(time.RFC3339), *data, *addr)
	return exitOK
}
