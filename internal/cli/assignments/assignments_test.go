package assignments_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/assignments"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/unassign"
	"github.com/portolan-dev/portolan/internal/memstore"
)

func seeded(t *testing.T) *assignment.Service {
	store := memstore.New()
	svc := assignment.New(store, nil, portolan.Range{}, 1024)
	// The first is stored directly: assign refuses a tab in a note now, but
	// a store written by an older portolan may hold one, and the listing
	// must not split a row on it.
	first := portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "payments", Note: "primary\tAPI", CreatedBy: "alice"}
	if err := store.CreateAssignment(context.Background(), &first); err != nil {
		t.Fatal(err)
	}
	for _, a := range []portolan.Assignment{
		{Port: 7001, Proto: portolan.UDP, Name: "billing", Owner: "payments", CreatedBy: "alice"},
		{Port: 9100, Proto: portolan.TCP, Name: "metrics", Owner: "sre", Hosts: "*", CreatedBy: "bob"},
	} {
		if _, err := svc.Assign(context.Background(), &a, false); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

func list(t *testing.T, svc portolan.AssignmentService, o assignments.Options, tty bool) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(tty)
	o.IO = ios
	o.Assignments = func() (portolan.AssignmentService, error) { return svc, nil }
	if o.Limit == 0 {
		o.Limit = 100
	}
	err := assignments.Run(context.Background(), &o)
	return out.String(), err
}

func TestList(t *testing.T) {
	svc := seeded(t)
	out, err := list(t, svc, assignments.Options{}, false)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if err != nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "7001/tcp\tbilling\tpayments\t\t") || !strings.HasSuffix(lines[0], "\talice\tprimary API") {
		t.Fatalf("piped list = %q, %v", out, err)
	}
	out, _ = list(t, svc, assignments.Options{}, true)
	if !strings.HasPrefix(out, "PORT") || !strings.Contains(out, "metrics") {
		t.Errorf("terminal list has no header: %q", out)
	}
	out, err = list(t, svc, assignments.Options{Owner: "sre", JSON: true}, false)
	var as []portolan.Assignment
	if err != nil || json.Unmarshal([]byte(out), &as) != nil || len(as) != 1 || as[0].Port != 9100 || as[0].Hosts != "*" {
		t.Fatalf("--owner sre --json = %q, %v", out, err)
	}
	out, _ = list(t, svc, assignments.Options{Port: "7001/udp"}, false)
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "7001/udp") {
		t.Errorf("--port 7001/udp = %q", out)
	}
	out, err = list(t, svc, assignments.Options{Owner: "nobody"}, false)
	if out != "" || cmdutil.ExitCode(err) != 1 {
		t.Errorf("no match = %q, exit %d; want nothing and exit 1", out, cmdutil.ExitCode(err))
	}
	if _, err := list(t, svc, assignments.Options{Port: "http"}, false); cmdutil.ExitCode(err) != 2 {
		t.Errorf("--port http: exit %d, want 2", cmdutil.ExitCode(err))
	}
}

// unassign, then the audit log shows who did what, locally and remotely.
func TestUnassignAndAudit(t *testing.T) {
	local := seeded(t)
	toks := porthttp.NewTokens()
	toks.Add("admin-token-0123456789", "ci", porthttp.RoleAdmin)
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{Assignments: local, Tokens: toks}).Handler())
	defer srv.Close()
	client := porthttp.NewClient(srv.URL, "admin-token-0123456789")
	client.User = "carol"

	ios, _, out, errOut := iostreams.Test()
	err := unassign.Run(context.Background(), &unassign.Options{IO: ios, Actor: "dave",
		Assignments: func() (portolan.AssignmentService, error) { return client, nil },
		Targets:     []portolan.Key{{Port: 7001, Proto: portolan.TCP}, {Port: 1, Proto: portolan.TCP}, {Port: 7001, Proto: portolan.UDP}}})
	if cmdutil.ExitCode(err) != 1 || out.String() != "unassigned 7001/tcp\nunassigned 7001/udp\n" || errOut.String() != "portolan: 1/tcp is not assigned\n" {
		t.Fatalf("unassign = %q %q %v", out, errOut, err)
	}
	out2, err := list(t, client, assignments.Options{Audit: true, Limit: 2}, false)
	lines := strings.Split(strings.TrimSpace(out2), "\n")
	if err != nil || len(lines) != 2 || !strings.Contains(lines[0], "\tcarol (token ci)\tunassign\t7001/udp\tbilling") {
		t.Fatalf("audit = %q, %v", out2, err)
	}
	if _, err := list(t, client, assignments.Options{Audit: true, Limit: -1}, false); cmdutil.ExitCode(err) != 2 {
		t.Errorf("--limit -1: exit %d, want 2", cmdutil.ExitCode(err))
	}
}

// Filters that would be dropped or could match nothing are bad input, named
// with the form wanted, not an empty list (exit 1).
func TestBadFilters(t *testing.T) {
	svc := seeded(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--port", ""}, "--port is empty: want PORT or PORT/PROTO, e.g. 5432/tcp"},
		{[]string{"--name", ""}, "--name is empty: want a service name, e.g. billing-db"},
		{[]string{"--name", "bad name!"}, `--name "bad name!" is not a service name: want 1-63 letters, digits and single hyphens with at least one letter, e.g. billing-db`},
		{[]string{"--limit", "5"}, "--limit 5 needs --audit: it caps the audit log, not the list of assignments"},
		{[]string{"--audit", "--owner", "sre"}, "--audit lists every change: --owner, --name and --port filter the assignments, not the audit log"},
		{[]string{"--port", "70000"}, `--port "70000" is not a port: want PORT or PORT/PROTO, e.g. 5432/tcp`},
	} {
		ios, _, _, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios, Assignments: func() (portolan.AssignmentService, error) { return svc, nil }}
		cmd := assignments.NewCmdAssignments(f)
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != tc.msg {
			t.Errorf("assignments %q: exit %d %q, want 2 %q", tc.args, cmdutil.ExitCode(err), cmdutil.Message(err), tc.msg)
		}
	}
}
