package lease

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/portolan-dev/portolan"
)

// DirStore is a portolan.LeaseStore of one file per leased port in a
// directory. Creating a port's file with link(2), which fails when the name
// exists, is the unique constraint, so separate processes (parallel test
// binaries) never share a port and need no daemon and no database. The
// lease package's test helpers use it; the CLI uses the SQLite store.
type DirStore struct {
	dir string
}

var _ portolan.LeaseStore = (*DirStore)(nil)

// NewDirStore returns the store in dir, creating it (0700).
func NewDirStore(dir string) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &DirStore{dir: dir}, nil
}

func (s *DirStore) file(p portolan.Port) string {
	return filepath.Join(s.dir, "port-"+strconv.Itoa(int(p))+".json")
}

// InsertLeases creates one file per lease, all or none: ECONFLICT when a
// port's file exists.
func (s *DirStore) InsertLeases(ctx context.Context, ls []*portolan.Lease) error {
	now := time.Now().UTC()
	var made []string
	undo := func() {
		for _, f := range made {
			os.Remove(f)
		}
	}
	for _, l := range ls {
		l.ID, l.Created = rand.Int64N(1<<62)+1, now
		b, err := json.Marshal(l)
		if err != nil {
			undo()
			return err
		}
		tmp, err := os.CreateTemp(s.dir, ".new-*")
		if err != nil {
			undo()
			return err
		}
		_, werr := tmp.Write(b)
		if cerr := tmp.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(tmp.Name())
			undo()
			return werr
		}
		err = os.Link(tmp.Name(), s.file(l.Port))
		os.Remove(tmp.Name())
		if err != nil {
			undo()
			if errors.Is(err, fs.ErrExist) {
				return portolan.Errorf(portolan.ECONFLICT, "port %d is already leased", l.Port)
			}
			return err
		}
		made = append(made, s.file(l.Port))
	}
	return nil
}

// Leases returns every lease ordered by port.
func (s *DirStore) Leases(ctx context.Context) ([]portolan.Lease, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []portolan.Lease
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil || len(e.Name()) < 5 || e.Name()[:5] != "port-" {
			continue
		}
		var l portolan.Lease
		if json.Unmarshal(b, &l) == nil && l.ID != 0 {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b portolan.Lease) int { return int(a.Port) - int(b.Port) })
	return out, nil
}

// DeleteLease removes the lease on port; ENOTFOUND when there is none.
func (s *DirStore) DeleteLease(ctx context.Context, port portolan.Port) error {
	if err := os.Remove(s.file(port)); errors.Is(err, fs.ErrNotExist) {
		return portolan.Errorf(portolan.ENOTFOUND, "port %d is not leased", port)
	} else if err != nil {
		return err
	}
	return nil
}

// DeleteLeases removes the leases with the given IDs.
func (s *DirStore) DeleteLeases(ctx context.Context, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	ls, err := s.Leases(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range ls {
		if slices.Contains(ids, l.ID) && os.Remove(s.file(l.Port)) == nil {
			n++
		}
	}
	return n, nil
}
