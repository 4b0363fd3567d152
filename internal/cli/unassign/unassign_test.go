package unassign_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/assign"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/unassign"
	"github.com/portolan-dev/portolan/internal/memstore"
)

// The verbs as a user runs them, with --server and --token flags: the
// Factory hands out the HTTP client for the named server.
func TestVerbsWithServerFlags(t *testing.T) {
	toks := porthttp.NewTokens()
	toks.Add("admin-token-0123456789", "ci", porthttp.RoleAdmin)
	svc := assignment.New(memstore.New(), nil, portolan.Range{}, 1024)
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{Assignments: svc, Tokens: toks}).Handler())
	defer srv.Close()
	t.Setenv("PORTOLAN_ADDR", "")
	t.Setenv("PORTOLAN_TOKEN", "")

	ios, _, out, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios}
	f.Assignments = func() (portolan.AssignmentService, error) {
		url, token := f.RemoteServer()
		if url == "" {
			t.Fatal("no server named")
		}
		return porthttp.NewClient(url, token), nil
	}
	run := func(cmd interface {
		SetArgs([]string)
		Execute() error
	}, args ...string) error {
		cmd.SetArgs(args)
		return cmd.Execute()
	}
	if err := run(assign.NewCmdAssign(f), "8123/tcp", "billing", "--server", strings.TrimPrefix(srv.URL, "http://"), "--token", "admin-token-0123456789"); err != nil {
		t.Fatalf("assign --server: %v", err)
	}
	if err := run(unassign.NewCmdUnassign(f), "8123/tcp", "--server", srv.URL, "--token", "admin-token-0123456789"); err != nil {
		t.Fatalf("unassign --server: %v", err)
	}
	if got := out.String(); got != "assigned 8123/tcp to billing\nunassigned 8123/tcp\n" {
		t.Fatalf("output %q", got)
	}
	err := run(unassign.NewCmdUnassign(f), "8123", "--server", srv.URL)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "needs a protocol") {
		t.Fatalf("unassign 8123: %v", err)
	}
	err = run(unassign.NewCmdUnassign(f), "8123/tcp", "--server", srv.URL)
	if cmdutil.ExitCode(err) != 1 || !strings.Contains(cmdutil.Message(err), "needs an admin bearer token") {
		t.Fatalf("unassign without a token: exit %d, %v", cmdutil.ExitCode(err), err)
	}
}
