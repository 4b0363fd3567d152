package ports

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/storetest"
)

// ports lists this checkout's names, --all every checkout's, and --prune
// forgets the names of a checkout whose directory is gone.
func TestListAndPrune(t *testing.T) {
	root, _ := filepath.EvalSymlinks(t.TempDir())
	here, gone := filepath.Join(root, "shop"), filepath.Join(root, "shop-old")
	os.Mkdir(here, 0o755)
	os.Mkdir(gone, 0o755)
	store := storetest.SQLite(t)
	a := lease.New(store, lease.Options{HostID: "h"})
	for _, k := range []portolan.NameKey{{Project: here, Worktree: here, Name: "web"}, {Project: here, Worktree: gone, Name: "web"}} {
		if _, _, err := a.PortFor(context.Background(), portolan.NameRequest{Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(gone)
	list := func(o Options) []Entry {
		t.Helper()
		ios, _, out, _ := iostreams.Test()
		o.IO, o.JSON, o.Dir = ios, true, here
		o.Names = func() (portolan.NameService, error) { return a, nil }
		if err := Run(context.Background(), &o); err != nil {
			t.Fatal(err)
		}
		var es []Entry
		if err := json.Unmarshal(out.Bytes(), &es); err != nil {
			t.Fatal(err)
		}
		return es
	}
	if es := list(Options{}); len(es) != 1 || es[0].Worktree != here {
		t.Errorf("ports = %+v; want this checkout's web only", es)
	}
	if es := list(Options{All: true}); len(es) != 2 || !es[0].Gone && !es[1].Gone {
		t.Errorf("ports --all = %+v; want both, the old one marked gone", es)
	}
	if es := list(Options{All: true, Prune: true}); len(es) != 1 || es[0].Gone {
		t.Errorf("ports --all --prune = %+v; want the gone checkout's name forgotten", es)
	}
}
