//go:build unix

package run_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/run"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/storetest"
)

// run --name gives CMD the checkout's named port as PORT, every named port
// of the checkout as PORT_<NAME>, and replaces {PORT} and {PORT_API} in
// its arguments; the port is the one `portolan port web` prints.
func TestRunName(t *testing.T) {
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	store := storetest.SQLite(t)
	a := lease.New(store, lease.Options{HostID: "h"})
	ctx := context.Background()
	api, _, err := a.PortFor(ctx, portolan.NameRequest{Key: portolan.NameKey{Project: dir, Worktree: dir, Name: "api"}})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	o := &run.Options{IO: ios, Count: 1, Env: "PORT", Name: "web", Dir: dir, Pool: "user",
		Names: func() (portolan.NameService, error) { return a, nil },
		Args:  []string{"sh", "-c", `echo "$PORT $PORT_WEB $PORT_API $1 $2"`, "sh", "--port={PORT}", "{PORT_API}"}}
	if err := run.Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	web, _, err := a.PortFor(ctx, portolan.NameRequest{Key: portolan.NameKey{Project: dir, Worktree: dir, Name: "web"}})
	if err != nil {
		t.Fatal(err)
	}
	w, p := web.Port.String(), api.Port.String()
	if got, want := strings.TrimSpace(out.String()), w+" "+w+" "+p+" --port="+w+" "+p; got != want {
		t.Errorf("the child printed %q, want %q", got, want)
	}
	o.Count = 2
	if err := run.Run(ctx, o); err == nil {
		t.Error("--name with -n 2 was accepted")
	}
}
