package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed CLI reference is what the command tree generates: a verb,
// flag or help text changed without `make docs` fails here.
func TestCommittedDocsAreCurrent(t *testing.T) {
	tmp := t.TempDir()
	md, man := filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")
	if err := run(md, man); err != nil {
		t.Fatal(err)
	}
	for gen, committed := range map[string]string{md: "../../docs/cli", man: "../../docs/man"} {
		want, _ := filepath.Glob(filepath.Join(gen, "portolan*"))
		have, _ := filepath.Glob(filepath.Join(committed, "portolan*"))
		if len(want) != len(have) {
			t.Errorf("%s has %d pages, the command tree makes %d: run make docs", committed, len(have), len(want))
		}
		for _, g := range want {
			a, _ := os.ReadFile(g)
			b, err := os.ReadFile(filepath.Join(committed, filepath.Base(g)))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s/%s is not what the command tree makes: run make docs", committed, filepath.Base(g))
			}
		}
	}
}
