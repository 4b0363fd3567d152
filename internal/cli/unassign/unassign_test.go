package unassign_test

import (
	"context"
	"encoding/json"
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

// unassign --json: one entry per target, unassigned or why not (exit 1
// when one was not assigned).
func TestUnassignJSON(t *testing.T) {
	svc := assignment.New(memstore.New(), nil, portolan.Range{}, 1024)
	if _, err := svc.Assign(context.Background(), &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing"}, true); err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	o := &unassign.Options{IO: ios, Assignments: func() (portolan.AssignmentService, error) { return svc, nil }, JSON: true,
		Targets: []portolan.Key{{Port: 7001, Proto: portolan.TCP}, {Port: 7002, Proto: portolan.UDP}}}
	err := unassign.Run(context.Background(), o)
	var got []unassign.Unassigned
	if cmdutil.ExitCode(err) != 1 || json.Unmarshal(out.Bytes(), &got) != nil || len(got) != 2 ||
		!got[0].Unassigned || got[0].Port != 7001 || got[1].Unassigned || got[1].Error == "" {
		t.Fatalf("unassign --json: %q exit %d", out.String(), cmdutil.ExitCode(err))
	}
}
