package sqlite_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sqlite"
)

// The refusal after a deleted state directory tells how to get the data
// back, and the way works: the database and its WAL copied out of
// /proc/PID/fd open with every lease.
func TestDeletedStateCanBeRecovered(t *testing.T) {
	ctx := context.Background()
	db, dir, path := leasedInStateDir(t)
	os.RemoveAll(dir)
	err := db.InsertLeases(ctx, []*portolan.Lease{{Port: 41001, Proto: portolan.TCP}})
	if err == nil || !strings.Contains(err.Error(), "/proc/") {
		t.Fatalf("InsertLeases = %v; want the refusal to say where the data still is", err)
	}
	// What an operator does: find the deleted files among the descriptors.
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	fds, _ := os.ReadDir("/proc/self/fd")
	copied := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err != nil {
			continue
		}
		for _, suffix := range []string{"", "-wal"} {
			if target == path+suffix+" (deleted)" && !copied[suffix] {
				src, err := os.Open("/proc/self/fd/" + fd.Name())
				if err != nil {
					t.Fatal(err)
				}
				dst, err := os.OpenFile(path+suffix, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				_, err = io.Copy(dst, src)
				src.Close()
				dst.Close()
				if err != nil {
					t.Fatal(err)
				}
				copied[suffix] = true
			}
		}
	}
	if !copied[""] {
		t.Fatalf("no deleted database among this process's descriptors")
	}
	back, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if ls, err := back.Leases(ctx); err != nil || len(ls) != 1 || ls[0].Label != "keep" {
		t.Fatalf("recovered leases = %+v, %v; want the one granted before the deletion", ls, err)
	}
}
