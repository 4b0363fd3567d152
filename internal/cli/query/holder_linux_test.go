package query_test

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/ls"
	"github.com/portolan-dev/portolan/internal/cli/query"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/registry"
)

// The here-section says what holds the port, as ls's OWNER column does: a
// real process (sleep, holding a listener handed to it) running in a git
// checkout on branch feat-x shows "REPO [feat-x]" on a terminal and the
// structured owner.holder in --json.
func TestHereShowsTheHolder(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := filepath.Join(t.TempDir(), "shop")
	if out, err := exec.Command("git", "init", "-q", "-b", "feat-x", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	cmd := exec.Command("sleep", "60")
	cmd.Dir = repo
	sockhold.HandOff(t, ln, cmd)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	runQuery := func(tty, asJSON bool) string {
		ios, _, out, errOut := iostreams.Test()
		ios.SetStdoutTTY(tty)
		ios.SetTerminalWidth(240)
		o := &query.Options{IO: ios, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
			Sockets: ls.QuerySockets, JSON: asJSON, Queries: []string{strconv.Itoa(p)}}
		if err := query.Run(context.Background(), o); err != nil {
			t.Fatalf("portolan %d: %v %s", p, err, errOut)
		}
		return out.String()
	}
	var table string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if table = runQuery(true, false); strings.Contains(table, "sleep") {
			break
		}
	}
	if !strings.Contains(table, "OWNER") || !strings.Contains(table, repo+" [feat-x]") {
		t.Errorf("portolan %d on a terminal:\n%s\nwant an owner column with %q", p, table, repo+" [feat-x]")
	}
	var doc struct {
		Sockets []portolan.Socket `json:"sockets"`
	}
	out := runQuery(false, true)
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(doc.Sockets) != 1 || doc.Sockets[0].Owner == nil || doc.Sockets[0].Owner.Holder == nil {
		t.Fatalf("--json = %s; want one socket with owner.holder", out)
	}
	h := doc.Sockets[0].Owner.Holder
	if h.Project == nil || h.Project.Worktree != repo || h.Project.Branch != "feat-x" {
		t.Errorf("owner.holder = %+v; want the checkout %s on feat-x", h, repo)
	}
}
