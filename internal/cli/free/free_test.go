package free_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/free"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/root"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/lease/leasetest"
	"github.com/portolan-dev/portolan/sqlite"
)

// TestMain runs the real portolan command tree when the concurrency test
// starts this binary as `portolan free`.
func TestMain(m *testing.M) {
	if os.Getenv("PORTOLAN_FREE_TEST_CLI") == "1" {
		f := factory.New("test")
		cmd := root.NewCmdRoot(f)
		cmd.SetArgs(os.Args[1:])
		err := cmd.ExecuteContext(context.Background())
		if msg := cmdutil.Message(err); msg != "" {
			os.Stderr.WriteString("portolan: " + msg + "\n")
		}
		os.Exit(cmdutil.ExitCode(err))
	}
	os.Exit(m.Run())
}

func service(t *testing.T) (*lease.Allocator, *sqlite.DB) {
	t.Helper()
	return leasetest.Allocator(t)
}

func run(t *testing.T, a portolan.LeaseService, o free.Options) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	o.IO = ios
	o.Leases = func() (portolan.LeaseService, error) { return a, nil }
	if o.TTL == 0 {
		o.TTL = free.DefaultHold
	}
	err := free.Run(context.Background(), &o)
	return out.String(), err
}

func TestFree(t *testing.T) {
	a, db := service(t)
	out, err := run(t, a, free.Options{LeaseRequest: portolan.LeaseRequest{Count: 3}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out)
	if len(lines) != 3 || out != strings.Join(lines, "\n")+"\n" {
		t.Fatalf("output %q, want three ports, one a line", out)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		p, err := portolan.ParsePort(l)
		if err != nil || p < 1024 || seen[l] {
			t.Errorf("line %q is not a distinct user port", l)
		}
		seen[l] = true
	}
	// The ports are held briefly, with no owner, so the caller can bind them.
	ls, _ := db.Leases(context.Background())
	for _, l := range ls {
		if d := time.Until(l.Expires); l.PID != 0 || d < 25*time.Second || d > 31*time.Second {
			t.Errorf("lease %+v: want no owner and a TTL of about 30s", l)
		}
	}
}

func TestFreeJSONAndPool(t *testing.T) {
	a, _ := service(t)
	out, err := run(t, a, free.Options{JSON: true, LeaseRequest: portolan.LeaseRequest{Count: 2, Pool: "27000-27009", Proto: portolan.TCP}})
	if err != nil {
		t.Fatal(err)
	}
	var ls []portolan.Lease
	if err := json.Unmarshal([]byte(out), &ls); err != nil || len(ls) != 2 {
		t.Fatalf("--json output %q: %v", out, err)
	}
	for _, l := range ls {
		if l.Port < 27000 || l.Port > 27009 || l.Proto != portolan.TCP {
			t.Errorf("lease %+v outside --range 27000-27009 or not tcp", l)
		}
	}
}

func TestFreeErrors(t *testing.T) {
	a, _ := service(t)
	for _, o := range []free.Options{
		{LeaseRequest: portolan.LeaseRequest{Count: 0}},
		{LeaseRequest: portolan.LeaseRequest{Count: 1001}},
		{LeaseRequest: portolan.LeaseRequest{Count: 1, Pool: "nope"}},
		{LeaseRequest: portolan.LeaseRequest{Count: 1, TTL: -time.Second}},
	} {
		_, err := run(t, a, o)
		if cmdutil.ExitCode(err) != 2 {
			t.Errorf("%+v: exit %d (%v), want 2", o, cmdutil.ExitCode(err), err)
		}
	}
	_, err := run(t, a, free.Options{LeaseRequest: portolan.LeaseRequest{Count: 11, Pool: "27100-27109"}})
	if cmdutil.ExitCode(err) != 1 || !strings.Contains(cmdutil.Message(err), "pool exhausted") {
		t.Errorf("11 from 10: exit %d %q, want 1 and pool exhausted", cmdutil.ExitCode(err), cmdutil.Message(err))
	}
}

// Separate `portolan free` processes with no daemon never print the same
// port: they take turns through the state directory's lock file.
func TestConcurrentProcessesNeverCollide(t *testing.T) {
	state := t.TempDir()
	const procs, each = 8, 5
	var mu sync.Mutex
	var all []string
	var wg sync.WaitGroup
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "free", "-n", "5", "--range", "28000-28999")
			cmd.Env = append(os.Environ(), "PORTOLAN_FREE_TEST_CLI=1", "XDG_STATE_HOME="+state,
				"PORTOLAN_ADDR=", "PORTOLAN_STORE=")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("portolan free: %v: %s", err, stderr.String())
				return
			}
			mu.Lock()
			all = append(all, strings.Fields(string(out))...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, p := range all {
		if seen[p] {
			t.Fatalf("port %s printed by two concurrent processes: %v", p, all)
		}
		seen[p] = true
	}
	if len(all) != procs*each {
		t.Fatalf("%d ports printed, want %d", len(all), procs*each)
	}
	if _, err := os.Stat(filepath.Join(state, "portolan", "lease.lock")); err != nil {
		t.Errorf("no lock file in the state directory: %v", err)
	}
}

// An empty --proto or --range is bad input: it read as the default (both,
// user) and handed out a port.
func TestFreeEmptyFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--proto", ""}, `--proto "" is not one of tcp, udp, both`},
		{[]string{"--range", ""}, "--range is empty: want user, dynamic or LO-HI, e.g. 20000-20999"},
	} {
		ios, _, _, errOut := iostreams.Test()
		cmd := free.NewCmdFree(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs(c.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(errOut)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true // the root command's settings
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != c.msg {
			t.Errorf("free %q: exit %d %q, want 2 %q", c.args, cmdutil.ExitCode(err), cmdutil.Message(err), c.msg)
		}
	}
}
