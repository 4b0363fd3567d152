package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
	"github.com/portolan-dev/portolan/storetest"
)

func open(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "portolan.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) portolan.Store { return open(t) })
}

// Concurrent grants share transactions (one fsync for many), and each
// caller returns only after its own commit: what it wrote is on disk when
// the file is opened again.
func TestGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 256
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.InsertLeases(context.Background(), []*portolan.Lease{{Port: portolan.Port(10000 + i)}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := db.Commits(); c >= n/2 {
		t.Errorf("%d concurrent grants took %d commits, want them batched into far fewer", n, c)
	} else {
		t.Logf("%d concurrent grants in %d commits", n, c)
	}
	db.Close()
	again, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	ls, _ := again.Leases(context.Background())
	if len(ls) != n {
		t.Fatalf("%d leases after reopening, want %d", len(ls), n)
	}
}

// A failing write in a batch undoes only itself.
func TestBatchIsolation(t *testing.T) {
	db := open(t)
	defer db.Close()
	ctx := context.Background()
	if err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 5000}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := portolan.Port(6000 + i)
			if i%2 == 0 {
				p = 5000 // conflicts
			}
			errs[i] = db.InsertLeases(ctx, []*portolan.Lease{{Port: p}, {Port: portolan.Port(7000 + i)}})
		}()
	}
	wg.Wait()
	ls, _ := db.Leases(ctx)
	if len(ls) != 1+20*2 {
		t.Fatalf("%d leases, want 41: each conflicting grant undone whole, every other kept", len(ls))
	}
	for i, err := range errs {
		if (i%2 == 0) != (portolan.ErrorCode(err) == portolan.ECONFLICT) {
			t.Errorf("grant %d: error %v", i, err)
		}
	}
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != newestMigration {
		t.Fatalf("SchemaVersion = %d, %v; want %d (the newest migration)", v, err, newestMigration)
	}
	db.Close()
	// A database from a newer portolan is refused, not damaged.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("INSERT INTO portolan_migrations (version, name, applied) VALUES (99, '099_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := sqlite.Open(path); portolan.ErrorCode(err) != portolan.EUNSUPPORTED || !strings.Contains(err.Error(), "upgrade portolan") {
		t.Fatalf("opening a newer schema: %v, want EUNSUPPORTED asking to upgrade", err)
	}
	if _, err := sqlite.Open(""); portolan.ErrorCode(err) != portolan.EINVALID {
		t.Errorf("Open(\"\") error = %v, want EINVALID", err)
	}
	// Odd characters in the path are a file name, not DSN syntax.
	odd := filepath.Join(t.TempDir(), "a?b#c%d.db")
	db, err = sqlite.Open(odd)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("database not created at %q: %v", odd, err)
	}
}

func BenchmarkInsertLeaseParallel(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "portolan.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := portolan.Port(1 + next.Add(1)%65000)
			db.DeleteLease(context.Background(), "", p)
			if err := db.InsertLeases(context.Background(), []*portolan.Lease{{Port: p}}); err != nil && portolan.ErrorCode(err) != portolan.ECONFLICT {
				b.Fatal(err)
			}
		}
	})
}
