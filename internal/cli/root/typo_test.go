package root_test

import (
	"context"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/root"
	"github.com/portolan-dev/portolan/registry"
)

// fakeAssignments holds the organisation's assignments for the lookup.
type fakeAssignments struct{ as []portolan.Assignment }

func (f *fakeAssignments) Assign(context.Context, *portolan.Assignment, bool) ([]portolan.Conflict, error) {
	return nil, nil
}

func (f *fakeAssignments) Assignments(_ context.Context, flt portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	var out []portolan.Assignment
	for _, a := range f.as {
		if flt.Name == "" || strings.EqualFold(flt.Name, a.Name) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeAssignments) Unassign(context.Context, portolan.Port, portolan.Proto, string) error {
	return nil
}

func (f *fakeAssignments) Audit(context.Context, int) ([]portolan.AuditEntry, error) { return nil, nil }

func execRoot(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	t.Setenv("PORTOLAN_ADDR", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	ios, _, out, errOut := iostreams.Test()
	svc := &fakeAssignments{as: []portolan.Assignment{{Port: 9443, Proto: portolan.TCP, Name: "sacn"}}}
	f := &cmdutil.Factory{IOStreams: ios, Registry: registry.Default, Version: "1.2.3",
		Assignments: func() (portolan.AssignmentService, error) { return svc, nil }}
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String() + cmdutil.Message(err), cmdutil.ExitCode(err)
}

// A mistyped verb is a usage error that names the verb meant (exit 2),
// not a service lookup that finds nothing (exit 1).
func TestVerbTypos(t *testing.T) {
	for args, verb := range map[string]string{
		"lsit": "ls", "kil 3000": "kill", "serv": "serve", "scna 127.0.0.1": "scan",
		"wiat 127.0.0.1:80": "wait", "relase 3000": "release", "asign 8080/tcp web": "assign", "Lsit": "ls",
	} {
		_, msg, code := execRoot(t, strings.Fields(args)...)
		word := strings.Fields(args)[0]
		want := `"` + word + `" is not a port, a service name or a command: did you mean "portolan ` + verb + `"?`
		if code != 2 || !strings.HasPrefix(msg, want) {
			t.Errorf("portolan %s: exit %d %q, want 2 %q", args, code, msg, want)
		}
	}
}

// Words a lookup can answer still go to the lookup, however close to a
// verb: IANA names (rcp is one edit from run, kis from kill), common-use
// names, and the organisation's own assignment names.
func TestNamesCloseToVerbsStillResolve(t *testing.T) {
	for _, q := range []string{"rcp", "kis", "ssh", "x11", "kafka", "www", "443", "53/udp"} {
		out, msg, code := execRoot(t, q)
		if code != 0 || out == "" {
			t.Errorf("portolan %s: exit %d %q, want the lookup's answer", q, code, msg)
		}
	}
	// An assignment name the organisation gave is no typo either.
	if _, msg, code := execRoot(t, "sacn"); code == 2 {
		t.Errorf("portolan sacn (an assignment's name): exit 2 %q, want the lookup", msg)
	}
	// A word close to no verb stays a lookup that finds nothing (exit 1).
	if _, msg, code := execRoot(t, "zzqqxx"); code != 1 {
		t.Errorf("portolan zzqqxx: exit %d %q, want 1 (not found)", code, msg)
	}
}

// `portolan version` is --version.
func TestVersionVerb(t *testing.T) {
	out, msg, code := execRoot(t, "version")
	flag, _, _ := execRoot(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "portolan 1.2.3 (IANA registry of ") || out != flag {
		t.Errorf("portolan version: %q %q exit %d; --version: %q", out, msg, code, flag)
	}
}
