package ls

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

// A listener's owner carries what the process is: here the checkout it
// runs in (the holder inherits this test's working directory, inside the
// repository), in --json's owner.holder and the table's OWNER column.
func TestLsShowsTheHolder(t *testing.T) {
	co, err := checkout.Of(".")
	if err != nil || !co.Git {
		t.Skipf("the test does not run inside a git checkout (%+v, %v)", co, err)
	}
	h := sockhold.Start(t, "tcp:127.0.0.1:0")
	o := opts()
	o.Port, o.JSON = h.Ports[0].String(), true
	out, errOut, code := run(t, o, false)
	var rows []Entry
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 1 {
		t.Fatalf("ls --json: %q %q exit %d: %v", out, errOut, code, err)
	}
	ow := rows[0].Owner
	if ow == nil || ow.Holder == nil || ow.Holder.Project == nil || ow.Holder.Project.Worktree != co.Worktree {
		t.Fatalf("owner = %+v; want a holder in %s", ow, co.Worktree)
	}
	o = opts()
	o.Port = h.Ports[0].String()
	out, _, _ = run(t, o, true)
	if !strings.Contains(out, "OWNER") || !strings.Contains(out, co.Worktree) {
		t.Errorf("ls on a terminal:\n%s\nwant an OWNER column naming %s", out, co.Worktree)
	}
	out, _, _ = run(t, o, false)
	if strings.Contains(out, co.Worktree) || strings.Count(strings.TrimSpace(out), "\t") != 7 {
		t.Errorf("piped ls changed its fields: %q", out)
	}
}

// --project keeps the sockets of processes running in that checkout;
// --unit and --container keep none here (the holder runs in neither).
func TestLsFiltersByHolder(t *testing.T) {
	co, err := checkout.Of(".")
	if err != nil || !co.Git {
		t.Skipf("the test does not run inside a git checkout (%+v, %v)", co, err)
	}
	h := sockhold.Start(t, "tcp:127.0.0.1:0")
	p := h.Ports[0].String()
	for _, c := range []struct {
		set  func(*Options)
		want int
	}{
		{func(o *Options) { o.Project = co.Worktree }, 0},
		{func(o *Options) { o.Project = t.TempDir() }, 1},
		{func(o *Options) { o.Unit = "nginx.service" }, 1},
		{func(o *Options) { o.Container = "3f2a9c" }, 1},
	} {
		o := opts()
		o.Args = []string{p}
		c.set(o)
		out, errOut, code := run(t, o, false)
		if code != c.want || (c.want == 0) != strings.Contains(out, "\t"+p+"\t") {
			t.Errorf("ls %s with %+v: %q %q exit %d, want exit %d", p, o, out, errOut, code, c.want)
		}
	}
}
