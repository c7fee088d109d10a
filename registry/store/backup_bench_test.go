package store_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/internal/regtest"
	"github.com/udkit/udkit/registry/store"
)

// benchMembers is the registry size of the backup benchmarks.
const benchMembers = 10000

// benchRegistry is a store with benchMembers members of typical size
// (an address, two labels, a user-data hash), inserted with plain SQL.
func benchRegistry(b *testing.B) *store.Store {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db := nodetest.Start(b).DB()
	st := regtest.OpenStore(b, db, store.Options{})
	const per = 20 // 10 columns a row, 240 parameters a statement at most
	for i := 0; i < benchMembers; i += per {
		var q strings.Builder
		q.WriteString(`INSERT INTO members (cluster, instance_id, address, labels, user_data_sha256, token_hash, registered_at, updated_at, renewed_at) VALUES `)
		var args []any
		for j := i; j < i+per; j++ {
			if j > i {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			now := time.Now().UnixNano()
			args = append(args, "web", fmt.Sprintf("i-%017x", j), fmt.Sprintf("10.%d.%d.%d", j>>16, j>>8&255, j&255),
				`{"role":"api","zone":"eu-west-1a"}`, strings.Repeat("ab", 32), fmt.Sprintf("%064x", j), now, now, now)
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkBackup: one backup of a 10,000-member registry (bytes and
// time per backup; memory does not grow with the registry: it streams).
func BenchmarkBackup(b *testing.B) {
	st := benchRegistry(b)
	ctx := context.Background()
	var cw countingDiscard
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cw = 0
		if _, err := st.Backup(ctx, &cw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cw), "bytes/backup")
	b.ReportMetric(float64(cw)/benchMembers, "bytes/member")
}

// BenchmarkRestore: restoring that backup into a fresh node.
func BenchmarkRestore(b *testing.B) {
	st := benchRegistry(b)
	var buf bytes.Buffer
	if _, err := st.Backup(context.Background(), &buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := nodetest.Start(b).DB()
		b.StartTimer()
		if _, err := store.Restore(context.Background(), db, bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/backup")
}

type countingDiscard int64

func (c *countingDiscard) Write(p []byte) (int, error) {
	*c += countingDiscard(len(p))
	return io.Discard.Write(p)
}
