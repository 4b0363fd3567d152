// Package migrations reads a store's embedded schema migrations. Both
// stores name them NNN_name.sql and apply them in order; each applies them
// in its own SQL dialect and under its own lock, but the files are found
// and ordered here, once.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema step.
type Migration struct {
	Version int    // NNN
	Name    string // the file name, NNN_name.sql
	SQL     string
}

// Load returns the migrations in dir of fsys, ordered by version. A file
// not named NNN_name.sql, or two files with one version, is an error that
// names store ("sqlite", "postgres"): a broken build, not bad input.
func Load(fsys fs.FS, dir, store string) ([]Migration, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("%s: migration %s is not named NNN_name.sql", store, e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{v, e.Name(), string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("%s: migrations %s and %s have one version", store, ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}
