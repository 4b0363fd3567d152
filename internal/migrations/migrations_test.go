package migrations

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	ms, err := Load(fstest.MapFS{
		"m/010_names.sql": {Data: []byte("C")},
		"m/001_init.sql":  {Data: []byte("A")},
		"m/002_hosts.sql": {Data: []byte("B")},
	}, "m", "test")
	if err != nil || len(ms) != 3 || ms[0].Version != 1 || ms[1].SQL != "B" || ms[2].Name != "010_names.sql" {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"not named": {"m/init.sql": {}},
		"not sql":   {"m/001_init.txt": {}},
		"twice":     {"m/001_a.sql": {}, "m/1_b.sql": {}},
	} {
		if _, err := Load(fsys, "m", "test"); err == nil || !strings.HasPrefix(err.Error(), "test: ") {
			t.Errorf("%s: Load = %v, want an error naming the store", name, err)
		}
	}
}
