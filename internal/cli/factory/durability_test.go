package factory_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
)

// A 0-byte state file (what a crash or `> portolan.db` leaves) is refused
// by every way in, with exit 2 and one line naming it, and left as it was:
// neither a writer nor a lookup (whose read-only open once fell back to a
// migrating open) starts empty state over it.
func TestEmptyStateFileIsRefused(t *testing.T) {
	state := localState(t)
	dir := filepath.Join(state, "portolan")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "portolan.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for what, open := range map[string]func(string) error{
		"OpenStore":     func(s string) error { st, err := factory.OpenStore(s); closeIf(st, err); return err },
		"OpenReadStore": func(s string) error { st, err := factory.OpenReadStore(s); closeIf(st, err); return err },
	} {
		for _, spec := range []string{"", "sqlite:" + path, path} {
			err := open(spec)
			msg := cmdutil.Message(err)
			if cmdutil.ExitCode(err) != 2 || !strings.Contains(msg, path) || !strings.Contains(msg, "empty (0 bytes)") {
				t.Errorf("%s(%q) = exit %d %q; want exit 2 naming the empty file", what, spec, cmdutil.ExitCode(err), msg)
			}
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Fatalf("the refused file was changed: %v, %v", fi, err)
	}
	if names := stateFiles(t, dir); len(names) != 1 {
		t.Errorf("refusing left files behind: %v", names)
	}
}

func closeIf(s interface{ Close() error }, err error) {
	if err == nil {
		s.Close()
	}
}

// PORTOLAN_STORE_TIMEOUT bounds PostgreSQL calls; a value that is not a
// sensible duration is refused by name with the valid form, exit 2, before
// any connection is tried.
func TestStoreTimeout(t *testing.T) {
	for _, v := range []string{"soon", "5", "0s", "-1s", "1h"} {
		t.Setenv(factory.EnvStoreTimeout, v)
		_, err := factory.OpenStore("postgres://portolan@127.0.0.1:1/portolan")
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "PORTOLAN_STORE_TIMEOUT=") || !strings.Contains(cmdutil.Message(err), "want a duration") {
			t.Errorf("PORTOLAN_STORE_TIMEOUT=%s: exit %d %q; want exit 2 naming it", v, cmdutil.ExitCode(err), cmdutil.Message(err))
		}
	}
	t.Setenv(factory.EnvStoreTimeout, "1500ms")
	if d, err := factory.StoreTimeout(); err != nil || d != 1500*time.Millisecond {
		t.Errorf("StoreTimeout() = %v, %v; want 1.5s", d, err)
	}
}
