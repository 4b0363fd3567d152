package assign_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/assign"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/memstore"
	"github.com/portolan-dev/portolan/sockets"
)

var pg = portolan.Service{Name: "postgresql", Proto: portolan.TCP, Ports: portolan.SinglePort(5432), HasPort: true}

func local() *assignment.Service {
	return assignment.New(memstore.New(), func(p portolan.Port, _ portolan.Proto) []portolan.Service {
		if p == 5432 {
			return []portolan.Service{pg}
		}
		return nil
	}, portolan.MustParseRange("32768-60999"), 1024)
}

// remote serves a local service over HTTP and returns a client for it, so
// the verb runs exactly as with --server.
func remote(t *testing.T) portolan.AssignmentService {
	toks := porthttp.NewTokens()
	toks.Add("admin-token-0123456789", "ci", porthttp.RoleAdmin)
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{Assignments: local(), Tokens: toks}).Handler())
	t.Cleanup(srv.Close)
	c := porthttp.NewClient(srv.URL, "admin-token-0123456789")
	c.User = "alice"
	return c
}

func run(t *testing.T, svc portolan.AssignmentService, o assign.Options) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	o.IO = ios
	o.Assignments = func() (portolan.AssignmentService, error) { return svc, nil }
	err := assign.Run(context.Background(), &o)
	return out.String(), errOut.String(), err
}

func TestAssign(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) portolan.AssignmentService{
		"local":  func(*testing.T) portolan.AssignmentService { return local() },
		"remote": remote,
	} {
		t.Run(name, func(t *testing.T) {
			svc := mk(t)
			out, errOut, err := run(t, svc, assign.Options{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "payments", Actor: "alice"})
			if err != nil || out != "assigned 7001/tcp to billing (owner payments)\n" || errOut != "" {
				t.Fatalf("assign 7001/tcp = %q %q %v", out, errOut, err)
			}
			// The same port: refused, exit 1, the reason is the error.
			out, errOut, err = run(t, svc, assign.Options{Port: 7001, Proto: portolan.TCP, Name: "ledger", Force: true})
			if cmdutil.ExitCode(err) != 1 || cmdutil.Message(err) != "7001/tcp is already assigned to billing (owner payments)" || out != "" || errOut != "" {
				t.Fatalf("duplicate = %q %q %v", out, errOut, err)
			}
			// IANA conflict: refused without --force, accepted with it and a warning.
			_, _, err = run(t, svc, assign.Options{Port: 5432, Proto: portolan.TCP, Name: "billing-db"})
			if cmdutil.ExitCode(err) != 1 || !strings.Contains(cmdutil.Message(err), "assigned by IANA to postgresql, not billing-db") {
				t.Fatalf("IANA conflict without --force: %v", err)
			}
			out, errOut, err = run(t, svc, assign.Options{Port: 5432, Proto: portolan.TCP, Name: "billing-db", Force: true})
			if err != nil || !strings.HasPrefix(errOut, "warning: 5432/tcp is assigned by IANA to postgresql") || out != "assigned 5432/tcp to billing-db\n" {
				t.Fatalf("forced = %q %q %v", out, errOut, err)
			}
			// A refused assignment still lists its warnings.
			_, errOut, err = run(t, svc, assign.Options{Port: 443, Proto: portolan.TCP, Name: "edge"})
			if err != nil || !strings.Contains(errOut, "443/tcp is a system port (0-1023): binding it needs root") {
				t.Fatalf("system port = %q %v", errOut, err)
			}
			out, errOut, err = run(t, svc, assign.Options{Port: 40000, Proto: portolan.UDP, Name: "cache", JSON: true})
			var res assign.Result
			if err != nil || json.Unmarshal([]byte(out), &res) != nil || res.Assignment.Port != 40000 || len(res.Conflicts) != 1 ||
				!strings.Contains(errOut, "lies in this host's ephemeral range 32768-60999") {
				t.Fatalf("--json = %q %q %v", out, errOut, err)
			}
			// Refused with --json: exit 1, and stdout still says why.
			out, _, err = run(t, svc, assign.Options{Port: 5432, Proto: portolan.TCP, Name: "other-db", JSON: true})
			res = assign.Result{}
			if cmdutil.ExitCode(err) != 1 || json.Unmarshal([]byte(out), &res) != nil || res.Assignment != nil || res.Error == nil ||
				res.Error.Code != "conflict" || res.Error.Message != cmdutil.Message(err) || len(res.Conflicts) == 0 ||
				!strings.Contains(out, `"assignment":null`) {
				t.Fatalf("refused --json = %q, exit %d %v", out, cmdutil.ExitCode(err), err)
			}
			_, _, err = run(t, svc, assign.Options{Port: 7002, Proto: portolan.TCP, Name: "no spaces"})
			if cmdutil.ExitCode(err) != 2 {
				t.Fatalf("bad name: exit %d (%v), want 2", cmdutil.ExitCode(err), err)
			}
		})
	}
}

// After --force the IANA warning does not tell the user to give --force.
func TestForcedWarningHasNoForceHint(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) portolan.AssignmentService{
		"local":  func(*testing.T) portolan.AssignmentService { return local() },
		"remote": remote,
	} {
		_, errOut, err := run(t, mk(t), assign.Options{Port: 5432, Proto: portolan.TCP, Name: "billing-db", Force: true})
		if err != nil || !strings.Contains(errOut, "assigned by IANA to postgresql") || strings.Contains(errOut, "--force") {
			t.Errorf("%s: forced = %q %v; want the IANA warning without the --force hint", name, errOut, err)
		}
	}
}

// assign warns when the port is in use on this host right now, and when
// the name already has another port; both are in --json's conflicts.
func TestAssignWarnsAboutListenersAndSecondPorts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := portolan.Port(ln.Addr().(*net.TCPAddr).Port)
	svc := local()
	o := assign.Options{Port: p, Proto: portolan.TCP, Name: "web", Listeners: sockets.Owners, Force: true}
	_, errOut, err := run(t, svc, o)
	want := fmt.Sprintf("warning: %d/tcp is in use on this host now: pid %d (", p, os.Getpid())
	if err != nil || !strings.Contains(errOut, want) {
		t.Fatalf("assign of a port in use: %q %v; want %q", errOut, err, want)
	}
	o = assign.Options{Port: 7443, Proto: portolan.TCP, Name: "web", Listeners: sockets.Owners, JSON: true}
	out, errOut, err := run(t, svc, o)
	want = fmt.Sprintf("warning: web already has %d/tcp: it now has 2 ports", p)
	var res assign.Result
	if err != nil || !strings.Contains(errOut, want) || json.Unmarshal([]byte(out), &res) != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Kind != "name" {
		t.Fatalf("second port for web: %q %q %v; want %q and a name conflict in --json", out, errOut, err, want)
	}
	// A free port of a new name: no warning.
	if _, errOut, err := run(t, svc, assign.Options{Port: 7444, Proto: portolan.TCP, Name: "api", Listeners: sockets.Owners}); err != nil || errOut != "" {
		t.Errorf("plain assign: %q %v", errOut, err)
	}
}
