package port

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/sqlite"
)

// worktrees makes a repository and a linked worktree of it.
func worktrees(t *testing.T) (main, feat string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root, _ := filepath.EvalSymlinks(t.TempDir())
	main, feat = filepath.Join(root, "shop"), filepath.Join(root, "shop-feat")
	os.Mkdir(main, 0o755)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "x"}, {"worktree", "add", "-q", "-b", "feat", feat}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = main
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return main, feat
}

func names(t *testing.T, path string) func() (portolan.NameService, error) {
	return func() (portolan.NameService, error) {
		store, err := sqlite.Open(path)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { store.Close() })
		return lease.New(store, lease.Options{HostID: "test-host"}), nil
	}
}

func run(t *testing.T, o Options) (Result, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	o.IO, o.JSON = ios, true
	err := Run(context.Background(), &o)
	var r Result
	if err == nil {
		if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
			t.Fatalf("--json %q: %v", out.String(), jerr)
		}
	}
	return r, err
}

// Two worktrees asking for the same names get distinct, stable ports,
// across "processes" (fresh store handles) alike.
func TestWorktreesKeepTheirOwnPorts(t *testing.T) {
	main, feat := worktrees(t)
	db := filepath.Join(t.TempDir(), "state.db")
	got := map[string]portolan.Port{}
	for round := range 2 {
		for _, dir := range []string{main, feat} {
			for _, name := range []string{"web", "api"} {
				r, err := run(t, Options{Names: names(t, db), Name: name, Dir: dir})
				if err != nil {
					t.Fatalf("%s %s: %v", dir, name, err)
				}
				k := dir + " " + name
				if round == 0 {
					if !r.New || r.Project != main || r.Worktree != dir {
						t.Errorf("first %s = %+v; want a new port of project %s", k, r, main)
					}
					got[k] = r.Port
				} else if r.New || r.Port != got[k] {
					t.Errorf("again %s = %+v; want %d, not new", k, r, got[k])
				}
			}
		}
	}
	seen := map[portolan.Port]string{}
	for k, p := range got {
		if other, dup := seen[p]; dup {
			t.Errorf("%s and %s share port %d", k, other, p)
		}
		seen[p] = k
	}
}

// A program from elsewhere on a named port is named, not silently
// replaced; --reassign moves the name; the checkout's own server on its
// port is fine.
func TestForeignHolderIsReported(t *testing.T) {
	main, _ := worktrees(t)
	db := filepath.Join(t.TempDir(), "state.db")
	first, err := run(t, Options{Names: names(t, db), Name: "db", Dir: main})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", first.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// This test process runs in the package directory, outside the checkout.
	_, err = run(t, Options{Names: names(t, db), Name: "db", Dir: main})
	if cmdutil.ExitCode(err) != 1 || !strings.Contains(cmdutil.Message(err), "pid "+strconv.Itoa(os.Getpid())) || !strings.Contains(cmdutil.Message(err), "--reassign") {
		t.Fatalf("a foreign holder: exit %d %q; want 1 naming pid %d and --reassign", cmdutil.ExitCode(err), cmdutil.Message(err), os.Getpid())
	}
	ours, err := run(t, Options{Names: names(t, db), Name: "db", Dir: main, Cwd: func(int) (string, error) { return filepath.Join(main, "srv"), nil }})
	if err != nil || ours.Port != first.Port {
		t.Fatalf("the checkout's own holder: %+v, %v; want %d", ours, err, first.Port)
	}
	moved, err := run(t, Options{Names: names(t, db), Name: "db", Dir: main, Reassign: true})
	if err != nil || moved.Port == first.Port || moved.Moved != first.Port {
		t.Fatalf("--reassign = %+v, %v; want a new port, moved from %d", moved, err, first.Port)
	}
	again, err := run(t, Options{Names: names(t, db), Name: "db", Dir: main})
	if err != nil || again.Port != moved.Port {
		t.Fatalf("after --reassign: %+v, %v; want %d", again, err, moved.Port)
	}
}

// Bad names get one line and exit 2.
func TestBadNames(t *testing.T) {
	for _, name := range []string{"", "a b", "web\x1b[2J", strings.Repeat("a", 64), "wéb", "a/b"} {
		_, err := run(t, Options{Names: names(t, filepath.Join(t.TempDir(), "s.db")), Name: name})
		if msg := cmdutil.Message(err); cmdutil.ExitCode(err) != 2 || strings.Contains(msg, "\n") || strings.Contains(msg, "\x1b") {
			t.Errorf("name %q: exit %d %q; want 2 and one clean line", name, cmdutil.ExitCode(err), msg)
		}
	}
}
