package leasetest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

// dirStore is a portolan.LeaseStore of one file per leased port in a
// directory. Creating a port's file with link(2), which fails when the name
// exists, is the unique constraint, so separate processes (parallel test
// binaries) never share a port and need no daemon and no database. The
// directory is this host's alone, so the host a lease names is not part of
// its file name. Files are read with O_NOFOLLOW: a symlink is never followed.
type dirStore struct {
	dir string
}

var _ portolan.LeaseStore = (*dirStore)(nil)

func (s *dirStore) file(p portolan.Port) string {
	return filepath.Join(s.dir, "port-"+strconv.Itoa(int(p))+".json")
}

// InsertLeases creates one file per lease, all or none: ECONFLICT when a
// port's file exists.
func (s *dirStore) InsertLeases(ctx context.Context, ls []*portolan.Lease) error {
	now := time.Now().UTC()
	var made []string
	undo := func() {
		for _, f := range made {
			os.Remove(f)
		}
	}
	for _, l := range ls {
		l.ID, l.Created = rand.Int64N(1<<62)+1, now
		if err := s.link(l); err != nil {
			undo()
			return err
		}
		made = append(made, s.file(l.Port))
	}
	return nil
}

// link writes l to a new temporary file (O_EXCL) and links it in place.
func (s *dirStore) link(l *portolan.Lease) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return werr
	}
	err = os.Link(tmp.Name(), s.file(l.Port))
	if errors.Is(err, fs.ErrExist) {
		return portolan.Errorf(portolan.ECONFLICT, "port %d is already leased", l.Port)
	}
	return err
}

// Leases returns every lease ordered by port.
func (s *dirStore) Leases(ctx context.Context) ([]portolan.Lease, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []portolan.Lease
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "port-") {
			continue
		}
		b, err := readNoFollow(filepath.Join(s.dir, e.Name()))
		if err != nil {
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

func readNoFollow(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<16))
}

// DeleteLease removes the lease on port; ENOTFOUND when there is none.
func (s *dirStore) DeleteLease(ctx context.Context, hostID string, port portolan.Port) error {
	if err := os.Remove(s.file(port)); errors.Is(err, fs.ErrNotExist) {
		return portolan.Errorf(portolan.ENOTFOUND, "port %d is not leased", port)
	} else if err != nil {
		return err
	}
	return nil
}

// DeleteLeases removes the leases with the given IDs.
func (s *dirStore) DeleteLeases(ctx context.Context, ids []int64) (int, error) {
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
