package factory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
)

// localState gives the test a private state directory (returned) as the
// only store: no PORTOLAN_STORE, no server.
func localState(t *testing.T) string {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("PORTOLAN_STORE", "")
	t.Setenv("PORTOLAN_ADDR", "")
	return state
}

// A verb that wrote (an assignment) leaves the state database whole when the
// binary closes the Factory: the write-ahead log is checkpointed into
// portolan.db and removed, so the next lookup reads the file, not the log.
func TestCloseCheckpointsTheStore(t *testing.T) {
	state := localState(t)
	f := factory.New("test")
	if err := f.Close(); err != nil {
		t.Fatalf("Close before any store was opened: %v", err)
	}
	if names := stateFiles(t, filepath.Join(state, "portolan")); len(names) != 0 {
		t.Fatalf("Close opened a store: %v", names)
	}
	svc, err := f.Assignments()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a := &portolan.Assignment{Port: 8443, Proto: portolan.TCP, Name: "web"}
	if _, err := svc.Assign(ctx, a, true); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	dir := filepath.Join(state, "portolan")
	if names := stateFiles(t, dir); !slices.Contains(names, "portolan.db-wal") {
		t.Fatalf("before Close: want a write-ahead log, have %v", names)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if names := stateFiles(t, dir); slices.Contains(names, "portolan.db-wal") {
		t.Errorf("after Close: the write-ahead log is still there: %v", names)
	}
	if err := f.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	// The assignment is in the database file itself.
	r, err := factory.OpenReadStore("")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Assignments(ctx, portolan.AssignmentFilter{})
	if err != nil || len(got) != 1 || got[0].Port != 8443 {
		t.Fatalf("read back: %v, %v", got, err)
	}
}

// --server with an address no request could reach fails every remote verb
// with exit 2 before anything is sent.
func TestBadServerAddress(t *testing.T) {
	t.Setenv("PORTOLAN_ADDR", "")
	for _, server := range []string{"ftp://x", "http://[::1"} {
		f := factory.New("test")
		f.Server = server
		_, err := f.Assignments()
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), fmt.Sprintf("server address %q", server)) {
			t.Errorf("Assignments with --server %s: exit %d %q, want 2 naming it", server, cmdutil.ExitCode(err), cmdutil.Message(err))
		}
		_, err = f.LeaseService()
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "want http://HOST:PORT") {
			t.Errorf("LeaseService with --server %s: exit %d %q, want 2 with the valid form", server, cmdutil.ExitCode(err), cmdutil.Message(err))
		}
	}
}
