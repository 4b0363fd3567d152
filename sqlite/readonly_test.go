package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
	_ "modernc.org/sqlite"
)

// seededFile is a store with one lease and one assignment, left the way a
// CLI process leaves it: still open, with its WAL on disk.
func seededFile(t *testing.T) (path string, writer *sqlite.DB) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 41000, Proto: portolan.TCP, Label: "ci"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAssignment(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "team-a"}); err != nil {
		t.Fatal(err)
	}
	return path, db
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return b
}

// A lookup reads what writers stored without changing the database or its
// log, and without holding a lock that would make a writer wait.
func TestOpenReadOnlyReadsWithoutWriting(t *testing.T) {
	path, writer := seededFile(t)
	dbBefore, walBefore := readFile(t, path), readFile(t, path+"-wal")

	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ctx := context.Background()
	ls, err := ro.Leases(ctx)
	if err != nil || len(ls) != 1 || ls[0].Port != 41000 || ls[0].Label != "ci" {
		t.Fatalf("leases = %+v, %v; want the lease on 41000", ls, err)
	}
	as, err := ro.Assignments(ctx, portolan.AssignmentFilter{})
	if err != nil || len(as) != 1 || as[0].Name != "billing" {
		t.Fatalf("assignments = %+v, %v; want billing", as, err)
	}
	if !bytes.Equal(dbBefore, readFile(t, path)) || !bytes.Equal(walBefore, readFile(t, path+"-wal")) {
		t.Error("reading through OpenReadOnly changed the database or its WAL")
	}

	// A writer is not held up by the open reader, and the reader sees its
	// commit on the next read.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := writer.InsertLeases(wctx, []*portolan.Lease{{Port: 41001, Proto: portolan.TCP}}); err != nil {
		t.Fatalf("a writer beside the read-only store: %v", err)
	}
	if ls, err := ro.Leases(ctx); err != nil || len(ls) != 2 {
		t.Fatalf("leases after a write = %+v, %v; want 2", ls, err)
	}

	// Its own writes are refused, promptly.
	start := time.Now()
	if err := ro.InsertLeases(wctx, []*portolan.Lease{{Port: 41002, Proto: portolan.TCP}}); err == nil {
		t.Fatal("a write through the read-only store succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refused write took %v", d)
	}
}

// A store closed cleanly (WAL checkpointed away) opens read-only too.
func TestOpenReadOnlyAfterCleanClose(t *testing.T) {
	path, writer := seededFile(t)
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if ls, err := ro.Leases(context.Background()); err != nil || len(ls) != 1 {
		t.Fatalf("leases = %+v, %v; want 1", ls, err)
	}
}

func TestOpenReadOnlyMissingFileCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portolan.db")
	_, err := sqlite.OpenReadOnly(path)
	if portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Fatalf("OpenReadOnly(missing) = %v; want ENOTFOUND", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("OpenReadOnly(missing) left %v in the directory", ents)
	}
}

// A file at another schema version is refused rather than misread; Open
// is what migrates it.
func TestOpenReadOnlyOtherSchema(t *testing.T) {
	path, writer := seededFile(t)
	writer.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("DELETE FROM portolan_migrations"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := sqlite.OpenReadOnly(path); portolan.ErrorCode(err) != portolan.EUNSUPPORTED {
		t.Fatalf("OpenReadOnly(old schema) = %v; want EUNSUPPORTED", err)
	}
}
