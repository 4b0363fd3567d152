package factory_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/assignments"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/sqlite"
)

func stateFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A lookup's leases and assignments sections come from the state database
// opened read-only: it does not wait for a writer, the database and its WAL
// are byte for byte what they were, and no lock file or other state appears.
func TestLookupSectionsReadOnly(t *testing.T) {
	state := localState(t)
	ctx := context.Background()
	dir := filepath.Join(state, "portolan")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "portolan.db")
	w, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.InsertLeases(ctx, []*portolan.Lease{{Port: 41000, Proto: portolan.TCP, Expires: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := w.CreateAssignment(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing"}); err != nil {
		t.Fatal(err)
	}
	db, wal, files := os.ReadFile, path+"-wal", stateFiles(t, dir)
	dbBefore, _ := db(path)
	walBefore, _ := db(wal)

	// Another process is in the middle of a write transaction: a lookup
	// does not wait for it.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")

	start := time.Now()
	as, ls := assignments.QuerySections(factory.New("test"))
	got, err := as(ctx, portolan.SinglePort(7001), portolan.ProtoAny)
	if err != nil || len(got) != 1 || got[0].Name != "billing" {
		t.Fatalf("assignments on 7001 = %+v, %v; want billing", got, err)
	}
	leases, err := ls(ctx)
	if err != nil || len(leases) != 1 || leases[0].Port != 41000 {
		t.Fatalf("leases = %+v, %v; want the one on 41000", leases, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the lookup waited %v for another process's write transaction", d)
	}
	dbAfter, _ := db(path)
	walAfter, _ := db(wal)
	if !bytes.Equal(dbBefore, dbAfter) || !bytes.Equal(walBefore, walAfter) {
		t.Error("a lookup changed the state database or its WAL")
	}
	if after := stateFiles(t, dir); !slices.Equal(files, after) {
		t.Errorf("state directory was %v, is %v after a lookup", files, after)
	}
}

func TestOpenReadStoreMissing(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("PORTOLAN_STORE", "")
	if _, err := factory.OpenReadStore(""); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Fatalf("OpenReadStore without a store = %v; want ENOTFOUND", err)
	}
	if files := stateFiles(t, state); len(files) != 0 {
		t.Fatalf("OpenReadStore created %v", files)
	}
}
