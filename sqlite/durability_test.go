package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
)

// A state file that exists but holds no portolan database (emptied by a
// crash or a careless `> portolan.db`, another program's file) is refused
// by name, and left exactly as it was: starting empty over it would drop
// every lease and assignment without a word.
func TestOpenRefusesAFileThatIsNotItsDatabase(t *testing.T) {
	foreign := func(t *testing.T, path string) {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, want string
		make       func(t *testing.T, path string)
	}{
		{"empty", "is empty (0 bytes)", func(t *testing.T, path string) { os.WriteFile(path, nil, 0o600) }},
		{"text", "is not a SQLite database", func(t *testing.T, path string) { os.WriteFile(path, []byte("hello\n"), 0o600) }},
		{"short", "is not a SQLite database", func(t *testing.T, path string) { os.WriteFile(path, []byte("SQLite"), 0o600) }},
		{"foreign", "is not a portolan database", foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "portolan.db")
			tc.make(t, path)
			before := readFile(t, path)
			for what, open := range map[string]func(string) (*sqlite.DB, error){"Open": sqlite.Open, "OpenReadOnly": sqlite.OpenReadOnly} {
				db, err := open(path)
				if err == nil {
					db.Close()
					t.Fatalf("%s(%s) succeeded", what, tc.name)
				}
				msg := portolan.ErrorMessage(err)
				if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(msg, path) || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
					t.Errorf("%s = %v (code %s); want one EINVALID line naming %s and saying %q", what, err, portolan.ErrorCode(err), path, tc.want)
				}
				if after := readFile(t, path); string(after) != string(before) {
					t.Errorf("%s changed the refused file (%d -> %d bytes)", what, len(before), len(after))
				}
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("refusing left files behind: %v", ents)
			}
		})
	}
}

// A new database appears at its path only whole: the schema is built in a
// temporary file beside it and linked into place, so an interrupted create
// cannot leave the 0-byte file that the next start must refuse, and no
// temporary file stays behind.
func TestOpenCreatesTheFileWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(context.Background()); err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "portolan.db") || strings.Contains(e.Name(), "new") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	// The file is a complete portolan database on its own, without the
	// handle that created it.
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatalf("OpenReadOnly of the new file: %v", err)
	}
	ro.Close()
	// A path in a directory that does not exist is named in the error.
	_, err = sqlite.Open(filepath.Join(dir, "missing", "portolan.db"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "missing")) {
		t.Errorf("Open in a missing directory = %v; want an error naming it", err)
	}
}

// leasedInStateDir opens a store in a state directory of its own (dir) at
// path, closed when the test ends, holding one lease (41000/tcp, labelled
// "keep").
func leasedInStateDir(t *testing.T) (db *sqlite.DB, dir, path string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "portolan.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.InsertLeases(context.Background(), []*portolan.Lease{{Port: 41000, Proto: portolan.TCP, Label: "keep"}}); err != nil {
		t.Fatal(err)
	}
	return db, dir, path
}

// The state directory deleted under a running store: writes are refused
// with an error saying so (not committed into the unlinked file and lost),
// and Health fails; the same when the path now names another file.
func TestDeletedStateIsNoticed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, dir, path := leasedInStateDir(t)
	if err := db.Health(ctx); err != nil {
		t.Fatalf("Health of a good store: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 41001, Proto: portolan.TCP}})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("InsertLeases after the state directory was deleted = %v; want a refusal naming %s", err, path)
	}
	if err := db.CreateAssignment(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "x"}); err == nil {
		t.Fatal("CreateAssignment after the state directory was deleted succeeded")
	}
	if err := db.Health(ctx); err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Fatalf("Health after the state directory was deleted = %v; want it to say so", err)
	}

	// Another process starts a fresh store at the same path: the old
	// handle must not write into the file it no longer names.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	other, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = db.InsertLeases(ctx, []*portolan.Lease{{Port: 41002, Proto: portolan.TCP}})
	if err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("InsertLeases after the file was replaced = %v; want a refusal", err)
	}
	if err := db.Health(ctx); err == nil {
		t.Fatal("Health after the file was replaced: ok")
	}
	if err := other.Health(ctx); err != nil {
		t.Fatalf("Health of the new store: %v", err)
	}
	if ls, err := other.Leases(ctx); err != nil || len(ls) != 0 {
		t.Fatalf("the new file holds %v, %v; want nothing", ls, err)
	}
}

// Health is a write: a read-only store (which answers reads, so a ping
// passes) is reported as unable to write.
func TestHealthOfAReadOnlyStore(t *testing.T) {
	path, writer := seededFile(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	walBefore := len(readFile(t, path+"-wal"))
	if err := writer.Health(ctx); err != nil {
		t.Fatalf("Health of the writer: %v", err)
	}
	// The probe is a real commit: a frame more in the WAL.
	if walAfter := len(readFile(t, path+"-wal")); walAfter <= walBefore {
		t.Errorf("Health left the WAL at %d bytes (was %d): it wrote nothing", walAfter, walBefore)
	}
	ro, err := sqlite.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := ro.Health(ctx); err == nil {
		t.Fatal("Health of a read-only store: ok")
	}
}

// A store opened by a relative path is not taken for deleted when the
// process changes directory.
func TestRelativePathSurvivesChdir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db, err := sqlite.Open("portolan.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Chdir(t.TempDir())
	ctx := context.Background()
	if err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 41000, Proto: portolan.TCP}}); err != nil {
		t.Fatalf("InsertLeases after chdir: %v", err)
	}
	if err := db.Health(ctx); err != nil {
		t.Fatalf("Health after chdir: %v", err)
	}
}

// While a new database is being created, its path names either nothing or
// the whole database: a watcher polling the path never sees a file that is
// not a complete portolan database (SQLite alone creates the file empty
// and fills it in steps, and a crash between leaves the 0-byte file that
// Open must refuse).
func TestCreateIsAtomic(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "portolan.db")
		stop := make(chan struct{})
		bad := make(chan string, 1)
		go func() {
			defer close(bad)
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, err := os.ReadFile(path)
				if err == nil && (len(b) < 4096 || !strings.HasPrefix(string(b), "SQLite format 3\x00") || !strings.Contains(string(b), "portolan_migrations")) {
					bad <- fmt.Sprintf("%d bytes", len(b))
					return
				}
			}
		}()
		db, err := sqlite.Open(path)
		close(stop)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if what, ok := <-bad; ok {
			t.Fatalf("round %d: the path named an incomplete database (%s) while it was created", round, what)
		}
	}
}
