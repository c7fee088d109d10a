package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A backup is a text file, one record a line, that holds every table of
// the registry's database as it was in one read transaction:
//
//	udkit-registry-backup 1
//	{"header":{"schema_version":6,"created_at":"2026-12-03T15:00:00Z"}}
//	{"table":{"name":"admin_tokens","sql":"CREATE TABLE admin_tokens (...)","columns":["id","hash","created_at","node"]}}
//	["0123456789abcdef","<sha256 hex>",1764770000000000000,"127.0.0.1:9180"]
//	...                                   (more rows, then more tables)
//	{"schema":{"type":"index","name":"members_token_hash","sql":"CREATE UNIQUE INDEX ..."}}
//	{"end":{"tables":8,"rows":1234}}
//	sha256 <64 hex digits: SHA-256 of every byte before this line>
//
// A row is a JSON array of the table's columns in order: null, an integer
// (INTEGER), a string (TEXT), {"real":"1.5"} (REAL) or {"blob":"<base64>"}
// (BLOB). Tables come in name order, sqlite_sequence (AUTOINCREMENT
// counters) last; then the indexes, triggers and views. The tables are
// enumerated from sqlite_master, so a table added by a later migration is
// backed up without a change here.
//
// The file holds token hashes (not tokens) and every member's data: keep it
// like a secret (udkitd writes it 0600).

// BackupMagic is the first line of a backup file, without its newline.
const BackupMagic = "udkit-registry-backup 1"

// BackupContentType is the media type of a backup file over HTTP.
const BackupContentType = "application/vnd.udkit.backup"

// MaxBackupLine bounds one line of a backup file (one row or record).
const MaxBackupLine = 1 << 20

// maxBackupColumns bounds the columns of one table in a backup file.
const maxBackupColumns = 1000

// restoreBatchRows is how many rows [Restore] inserts per transaction.
const restoreBatchRows = 2000

// BackupInfo describes a backup file.
type BackupInfo struct {
	// SchemaVersion is the schema version of the database backed up.
	SchemaVersion int
	// CreatedAt is when the backup's read transaction ran (the source's
	// clock).
	CreatedAt time.Time
	// Tables and Rows count the tables and rows in the file.
	Tables int
	Rows   int64
	// SHA256 is the checksum of the file's contents, hex.
	SHA256 string
}

type backupHeader struct {
	SchemaVersion int       `json:"schema_version"`
	CreatedAt     time.Time `json:"created_at"`
}

type backupTable struct {
	Name    string   `json:"name"`
	SQL     string   `json:"sql"`
	Columns []string `json:"columns"`
}

type backupSchema struct {
	Type string `json:"type"`
	Name string `json:"name"`
	SQL  string `json:"sql"`
}

type backupEnd struct {
	Tables int   `json:"tables"`
	Rows   int64 `json:"rows"`
}

type backupRecord struct {
	Header *backupHeader `json:"header,omitempty"`
	Table  *backupTable  `json:"table,omitempty"`
	Schema *backupSchema `json:"schema,omitempty"`
	End    *backupEnd    `json:"end,omitempty"`
}

const sequenceTable = "sqlite_sequence"

// Backup writes every table of the store's database to w in the backup
// format, all read in one transaction, so that the file is one consistent
// state of the registry while registrations go on. It streams: memory does
// not grow with the registry. An error after the first bytes leaves w
// holding a truncated file, which [VerifyBackup] refuses.
func (s *Store) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	return backupDB(ctx, s.db, s.opt.Now().UTC(), w)
}

func backupDB(ctx context.Context, db *sql.DB, now time.Time, w io.Writer) (BackupInfo, error) {
	info := BackupInfo{CreatedAt: now}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return info, fmt.Errorf("backup: begin the read transaction: %w", err)
	}
	defer tx.Rollback()
	// The first read fixes the snapshot every later one sees.
	type object struct{ typ, name, sql string }
	var tables, others []object
	rows, err := tx.QueryContext(ctx, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY name`)
	if err != nil {
		return info, fmt.Errorf("backup: read the schema: %w", err)
	}
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.typ, &o.name, &o.sql); err != nil {
			rows.Close()
			return info, fmt.Errorf("backup: read the schema: %w", err)
		}
		switch {
		case o.typ == "table" && o.name == sequenceTable:
			// Restored after every table: see below.
		case strings.HasPrefix(o.name, "sqlite_") || o.sql == "":
			// SQLite's own (sqlite_stat1, automatic indexes).
		case o.typ == "table":
			tables = append(tables, o)
		default:
			others = append(others, o)
		}
	}
	if err := rows.Close(); err != nil {
		return info, fmt.Errorf("backup: read the schema: %w", err)
	}
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("backup: read the schema: %w", err)
	}
	var hasSeq int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, sequenceTable).Scan(&hasSeq); err != nil {
		return info, fmt.Errorf("backup: read the schema: %w", err)
	}
	if hasSeq > 0 {
		tables = append(tables, object{"table", sequenceTable, ""})
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return info, fmt.Errorf("backup: read the schema version (is this a udkit registry?): %w", err)
	}
	info.SchemaVersion = int(v.Int64)

	h := sha256.New()
	bw := bufio.NewWriterSize(w, 64<<10)
	out := io.MultiWriter(h, bw)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if _, err := io.WriteString(out, BackupMagic+"\n"); err != nil {
		return info, err
	}
	if err := enc.Encode(backupRecord{Header: &backupHeader{SchemaVersion: info.SchemaVersion, CreatedAt: info.CreatedAt}}); err != nil {
		return info, err
	}
	for _, t := range tables {
		n, err := backupTableRows(ctx, tx, t.name, t.sql, enc)
		if err != nil {
			return info, err
		}
		info.Tables++
		info.Rows += n
	}
	for _, o := range others {
		if err := enc.Encode(backupRecord{Schema: &backupSchema{Type: o.typ, Name: o.name, SQL: o.sql}}); err != nil {
			return info, err
		}
	}
	if err := enc.Encode(backupRecord{End: &backupEnd{Tables: info.Tables, Rows: info.Rows}}); err != nil {
		return info, err
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	if _, err := io.WriteString(bw, "sha256 "+info.SHA256+"\n"); err != nil {
		return info, err
	}
	if err := bw.Flush(); err != nil {
		return info, err
	}
	return info, nil
}

func backupTableRows(ctx context.Context, tx *sql.Tx, name, createSQL string, enc *json.Encoder) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT * FROM `+quoteIdent(name))
	if err != nil {
		return 0, fmt.Errorf("backup: table %s: %w", name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("backup: table %s: %w", name, err)
	}
	if err := enc.Encode(backupRecord{Table: &backupTable{Name: name, SQL: createSQL, Columns: cols}}); err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]any, len(cols))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, fmt.Errorf("backup: table %s row %d: %w", name, n+1, err)
		}
		for i, v := range vals {
			switch v := v.(type) {
			case nil, int64, string:
				out[i] = v
			case bool: // a column declared BOOLEAN: stored as 0 or 1
				out[i] = int64(0)
				if v {
					out[i] = int64(1)
				}
			case float64:
				out[i] = map[string]string{"real": strconv.FormatFloat(v, 'g', -1, 64)}
			case []byte:
				out[i] = map[string]string{"blob": base64.StdEncoding.EncodeToString(v)}
			default:
				return n, fmt.Errorf("backup: table %s column %s: a value of type %T, which the backup format cannot hold", name, cols[i], v)
			}
		}
		if err := enc.Encode(out); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("backup: table %s: %w", name, err)
	}
	return n, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// BackupError is a backup file that cannot be read: Line is the 1-based
// line (0 for the file as a whole).
type BackupError struct {
	Line int
	Msg  string
}

func (e *BackupError) Error() string {
	if e.Line == 0 {
		return "backup file: " + e.Msg
	}
	return fmt.Sprintf("backup file line %d: %s", e.Line, e.Msg)
}

// backupVisitor receives what a backup holds, in file order.
type backupVisitor struct {
	header func(backupHeader) error
	table  func(backupTable) error
	row    func([]any) error
	schema func(backupSchema) error
}

// VerifyBackup reads a whole backup file from r and checks it: the format
// line, every record and row, the counts and the checksum. Its memory does
// not grow with the file. Errors are *[BackupError] (or r's).
func VerifyBackup(r io.Reader) (BackupInfo, error) {
	return readBackup(r, backupVisitor{})
}

func readBackup(r io.Reader, v backupVisitor) (BackupInfo, error) {
	var info BackupInfo
	br := bufio.NewReaderSize(r, 64<<10)
	h := sha256.New()
	fail := func(line int, format string, args ...any) (BackupInfo, error) {
		return info, &BackupError{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	readLine := func(n int) ([]byte, error) {
		var buf []byte
		for {
			b, err := br.ReadSlice('\n')
			if len(buf)+len(b) > MaxBackupLine {
				return nil, &BackupError{Line: n, Msg: fmt.Sprintf("longer than %d bytes", MaxBackupLine)}
			}
			buf = append(buf, b...)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(buf) == 0 {
					return nil, &BackupError{Line: n, Msg: "the file ends before its end record and checksum: truncated (did the backup fail half-way?)"}
				}
				return nil, &BackupError{Line: n, Msg: "the file ends inside a line: truncated (did the backup fail half-way?)"}
			}
			if err != nil {
				return nil, err
			}
			return buf, nil
		}
	}
	line, err := readLine(1)
	if err != nil {
		return info, err
	}
	if string(line) != BackupMagic+"\n" {
		if v, ok := strings.CutPrefix(string(line), "udkit-registry-backup "); ok {
			return fail(1, "format version %q; this program reads version 1 (a newer udkitd wrote it?)", strings.TrimSpace(v))
		}
		return fail(1, "not a udkit registry backup (want first line %q)", BackupMagic)
	}
	h.Write(line)
	var cur *backupTable
	names := map[string]bool{}
	sawHeader, sawSchema := false, false
	for n := 2; ; n++ {
		line, err := readLine(n)
		if err != nil {
			return info, err
		}
		if rest, ok := bytes.CutPrefix(line, []byte("sha256 ")); ok {
			sum := strings.TrimSuffix(string(rest), "\n")
			if !sawHeader {
				return fail(n, "checksum before the header")
			}
			if info.SHA256 == "" {
				return fail(n, "checksum before the end record: truncated")
			}
			if got := hex.EncodeToString(h.Sum(nil)); sum != got {
				return fail(n, "checksum %q does not match the contents (sha256 %s): the file is damaged or was edited", truncateStr(sum, 80), got)
			}
			if extra, _ := br.Peek(1); len(extra) != 0 {
				return fail(n+1, "data after the checksum line")
			}
			return info, nil
		}
		h.Write(line)
		if info.SHA256 != "" {
			return fail(n, "data after the end record")
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		if len(body) > 0 && body[0] == '[' {
			if !sawHeader {
				return fail(n, "the header record must come first")
			}
			if cur == nil {
				return fail(n, "a row before any table record")
			}
			vals, err := decodeBackupRow(body, len(cur.Columns))
			if err != nil {
				return fail(n, "table %s: %v", cur.Name, err)
			}
			info.Rows++
			if v.row != nil {
				if err := v.row(vals); err != nil {
					return info, err
				}
			}
			continue
		}
		var rec backupRecord
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return fail(n, "not a record or row: %v", err)
		}
		if dec.More() {
			return fail(n, "more than one JSON value on the line")
		}
		set := 0
		for _, p := range []bool{rec.Header != nil, rec.Table != nil, rec.Schema != nil, rec.End != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			return fail(n, "a record must have exactly one of header, table, schema, end")
		}
		if !sawHeader && rec.Header == nil {
			return fail(n, "the header record must come first")
		}
		switch {
		case rec.Header != nil:
			if sawHeader {
				return fail(n, "a second header")
			}
			sawHeader = true
			if rec.Header.SchemaVersion < 1 || rec.Header.SchemaVersion > 1<<20 {
				return fail(n, "schema version %d out of range", rec.Header.SchemaVersion)
			}
			info.SchemaVersion, info.CreatedAt = rec.Header.SchemaVersion, rec.Header.CreatedAt
			if v.header != nil {
				if err := v.header(*rec.Header); err != nil {
					return info, err
				}
			}
		case rec.Table != nil:
			t := rec.Table
			if sawSchema {
				return fail(n, "table %s after the schema records", t.Name)
			}
			if err := checkBackupTable(t); err != nil {
				return fail(n, "%v", err)
			}
			if names[t.Name] {
				return fail(n, "table %s appears twice", t.Name)
			}
			if cur != nil && cur.Name == sequenceTable {
				return fail(n, "table %s after %s, which comes last", t.Name, sequenceTable)
			}
			names[t.Name] = true
			info.Tables++
			cur = t
			if v.table != nil {
				if err := v.table(*t); err != nil {
					return info, err
				}
			}
		case rec.Schema != nil:
			if err := checkBackupSchema(rec.Schema, names); err != nil {
				return fail(n, "%v", err)
			}
			sawSchema, cur = true, nil
			if v.schema != nil {
				if err := v.schema(*rec.Schema); err != nil {
					return info, err
				}
			}
		case rec.End != nil:
			if rec.End.Tables != info.Tables || rec.End.Rows != info.Rows {
				return fail(n, "the end record counts %d tables and %d rows, the file holds %d and %d", rec.End.Tables, rec.End.Rows, info.Tables, info.Rows)
			}
			info.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
	}
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func checkBackupTable(t *backupTable) error {
	if !identRE.MatchString(t.Name) {
		return fmt.Errorf("table name %q: want letters, digits and _", truncateStr(t.Name, 80))
	}
	if t.Name == sequenceTable {
		if t.SQL != "" {
			return fmt.Errorf("table %s has SQL; SQLite makes it", sequenceTable)
		}
	} else if strings.HasPrefix(t.Name, "sqlite_") {
		return fmt.Errorf("table %s: names starting sqlite_ are SQLite's own", t.Name)
	} else if !strings.HasPrefix(t.SQL, "CREATE TABLE ") {
		return fmt.Errorf("table %s: its sql does not start with CREATE TABLE", t.Name)
	}
	if len(t.Columns) == 0 || len(t.Columns) > maxBackupColumns {
		return fmt.Errorf("table %s: %d columns, want 1 to %d", t.Name, len(t.Columns), maxBackupColumns)
	}
	seen := map[string]bool{}
	for _, c := range t.Columns {
		if !identRE.MatchString(c) || seen[c] {
			return fmt.Errorf("table %s: column %q is not a plain name or appears twice", t.Name, truncateStr(c, 80))
		}
		seen[c] = true
	}
	return nil
}

func checkBackupSchema(s *backupSchema, tables map[string]bool) error {
	if !identRE.MatchString(s.Name) || strings.HasPrefix(s.Name, "sqlite_") {
		return fmt.Errorf("%s name %q: want letters, digits and _, not starting sqlite_", truncateStr(s.Type, 20), truncateStr(s.Name, 80))
	}
	var prefixes []string
	switch s.Type {
	case "index":
		prefixes = []string{"CREATE INDEX ", "CREATE UNIQUE INDEX "}
	case "trigger":
		prefixes = []string{"CREATE TRIGGER "}
	case "view":
		prefixes = []string{"CREATE VIEW "}
	default:
		return fmt.Errorf("schema object %s: type %q, want index, trigger or view", s.Name, truncateStr(s.Type, 20))
	}
	for _, p := range prefixes {
		if strings.HasPrefix(s.SQL, p) {
			return nil
		}
	}
	return fmt.Errorf("%s %s: its sql does not start with %s", s.Type, s.Name, strings.Join(prefixes, "or "))
}

// decodeBackupRow decodes one row of want values.
func decodeBackupRow(b []byte, want int) ([]any, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("row: %v", err)
	}
	if len(raw) != want {
		return nil, fmt.Errorf("row of %d values, the table has %d columns", len(raw), want)
	}
	vals := make([]any, len(raw))
	for i, r := range raw {
		r = bytes.TrimSpace(r)
		switch {
		case bytes.Equal(r, []byte("null")):
			vals[i] = nil
		case r[0] == '"':
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return nil, fmt.Errorf("value %d: %v", i+1, err)
			}
			vals[i] = s
		case r[0] == '-' || (r[0] >= '0' && r[0] <= '9'):
			n, err := strconv.ParseInt(string(r), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("value %d: %s is not a 64-bit integer (a REAL is written {\"real\":...})", i+1, truncateStr(string(r), 40))
			}
			vals[i] = n
		case r[0] == '{':
			var m map[string]string
			if err := json.Unmarshal(r, &m); err != nil || len(m) != 1 {
				return nil, fmt.Errorf("value %d: want {\"real\":\"...\"} or {\"blob\":\"...\"}", i+1)
			}
			if s, ok := m["real"]; ok {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil || math.IsNaN(f) {
					return nil, fmt.Errorf("value %d: real %q is not a number", i+1, truncateStr(s, 40))
				}
				vals[i] = f
			} else if s, ok := m["blob"]; ok {
				d, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return nil, fmt.Errorf("value %d: blob: %v", i+1, err)
				}
				vals[i] = d
			} else {
				return nil, fmt.Errorf("value %d: want {\"real\":\"...\"} or {\"blob\":\"...\"}", i+1)
			}
		default:
			return nil, fmt.Errorf("value %d: %s is not null, an integer, a string, a real or a blob", i+1, truncateStr(string(r), 40))
		}
	}
	return vals, nil
}

// Restore loads a backup file (all of r, from its start) into db, which
// must be empty (a fresh node's database): it first reads the whole file with [VerifyBackup], then
// creates the tables as they were in the source, inserts their rows
// (batches of a few thousand per transaction), then creates the indexes,
// triggers and views. It refuses a backup of a schema newer than this
// program's [SchemaVersion]; an older one is migrated when the store is
// next opened. On an error after the checks db is partly written: discard
// it (udkitd restore removes the data directory it made).
func Restore(ctx context.Context, db *sql.DB, r io.ReadSeeker) (BackupInfo, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return BackupInfo{}, err
	}
	info, err := VerifyBackup(r)
	if err != nil {
		return info, err
	}
	if info.SchemaVersion > SchemaVersion {
		return info, fmt.Errorf("restore: the backup has schema version %d, newer than this program's %d: restore it with the udkitd that wrote it, or a newer one", info.SchemaVersion, SchemaVersion)
	}
	var objects int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&objects); err != nil {
		return info, fmt.Errorf("restore: read the target's schema: %w", err)
	}
	if objects != 0 {
		return info, errors.New("restore: the target database is not empty; restore into a fresh node's data directory")
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return info, err
	}
	var (
		tx      *sql.Tx
		cur     backupTable
		pending [][]any
		inTx    int
	)
	begin := func() error {
		if tx != nil {
			return nil
		}
		var err error
		tx, err = db.BeginTx(ctx, nil)
		inTx = 0
		return err
	}
	commit := func() error {
		if tx == nil {
			return nil
		}
		err := tx.Commit()
		tx = nil
		return err
	}
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := begin(); err != nil {
			return err
		}
		cols := make([]string, len(cur.Columns))
		for i, c := range cur.Columns {
			cols[i] = quoteIdent(c)
		}
		per := sqlParams / len(cur.Columns)
		if per < 1 {
			return fmt.Errorf("restore: table %s has %d columns, more than one statement carries (%d)", cur.Name, len(cur.Columns), sqlParams)
		}
		row := "(" + placeholders(len(cur.Columns)) + ")"
		for _, chunk := range chunks(pending, per) {
			args := make([]any, 0, len(chunk)*len(cur.Columns))
			for _, r := range chunk {
				args = append(args, r...)
			}
			q := `INSERT INTO ` + quoteIdent(cur.Name) + ` (` + strings.Join(cols, ", ") + `) VALUES ` + strings.Repeat(row+", ", len(chunk)-1) + row
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("restore: table %s: %w", cur.Name, err)
			}
		}
		inTx += len(pending)
		pending = pending[:0]
		if inTx >= restoreBatchRows {
			return commit()
		}
		return nil
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	_, err = readBackup(r, backupVisitor{
		table: func(t backupTable) error {
			if err := flush(); err != nil {
				return err
			}
			cur = t
			if err := begin(); err != nil {
				return err
			}
			if t.Name == sequenceTable {
				// SQLite made it with the first AUTOINCREMENT table and
				// counted the rows just inserted; the source's counters
				// (never below those) replace them.
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+sequenceTable); err != nil {
					return fmt.Errorf("restore: %s: %w", sequenceTable, err)
				}
				return nil
			}
			if _, err := tx.ExecContext(ctx, t.SQL); err != nil {
				return fmt.Errorf("restore: create table %s: %w", t.Name, err)
			}
			return nil
		},
		row: func(vals []any) error {
			pending = append(pending, vals)
			if len(pending) >= restoreBatchRows {
				return flush()
			}
			return nil
		},
		schema: func(s backupSchema) error {
			if err := flush(); err != nil {
				return err
			}
			if err := begin(); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.SQL); err != nil {
				return fmt.Errorf("restore: create %s %s: %w", s.Type, s.Name, err)
			}
			return nil
		},
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = commit()
	}
	return info, err
}

// DumpRows returns every row of every table of db (SQLite's own but
// sqlite_sequence excepted), by table name, each row a line of JSON as in
// a backup file, sorted. Tests compare a source and its restored copy
// with it; it reads all in memory.
func DumpRows(ctx context.Context, db *sql.DB) (map[string][]string, error) {
	out := map[string][]string{}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	var names []string
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND (name NOT LIKE 'sqlite\_%' ESCAPE '\' OR name = ?)`, sequenceTable)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		buf.Reset()
		if _, err := backupTableRows(ctx, tx, n, "", enc); err != nil {
			return nil, err
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")[1:] // drop the table record
		sort.Strings(lines)
		out[n] = lines
	}
	return out, nil
}
