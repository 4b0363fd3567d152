package root_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/root"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/storetest"
)

// `portolan 5432 --server URL` adds the fleet's listeners on 5432: which
// host, which program; without a server there is no fleet section.
func TestQueryShowsTheFleet(t *testing.T) {
	store := storetest.SQLite(t)
	toks := porthttp.NewTokens()
	toks.Add("root-test-admin-0123456789", "ops", porthttp.RoleAdmin)
	srv := porthttp.NewServer(porthttp.Config{Fleet: store, Tokens: toks})
	url := porthttptest.Serve(t, srv, "127.0.0.1:0")
	c := porthttp.NewClient(url, "root-test-admin-0123456789")
	l := portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 5432}, Program: "/usr/lib/postgresql/15/bin/postgres", Reach: portolan.ReachAll}
	for seq := uint64(1); seq <= 2; seq++ {
		if _, err := c.Report(context.Background(), portolan.FleetReport{HostID: "m-db-1", HostName: "db-1", Interval: time.Second, Seq: seq, Full: true, Listeners: []portolan.FleetListener{l}}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Setenv("XDG_STATE_HOME", t.TempDir())
		ios, _, out, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios, Registry: registry.Default, Version: "1.2.3",
			Assignments: func() (portolan.AssignmentService, error) { return &fakeAssignments{}, nil }}
		cmd := root.NewCmdRoot(f)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("portolan %v: %v", args, err)
		}
		return out.String()
	}
	t.Setenv("PORTOLAN_ADDR", "")
	if out := run("5432"); strings.Contains(out, "fleet\t") {
		t.Errorf("a fleet section without a server:\n%s", out)
	}
	t.Setenv("PORTOLAN_TOKEN", "root-test-admin-0123456789")
	out := run("5432", "--server", url)
	if !strings.Contains(out, "fleet\t5432\tdb-1\ttcp\t0.0.0.0\t5432\t/usr/lib/postgresql/15/bin/postgres\tall\n") {
		t.Errorf("portolan 5432 --server: no fleet row:\n%s", out)
	}
	var answer portolan.Answer
	if err := json.Unmarshal([]byte(run("5432", "--server", url, "--json")), &answer); err != nil ||
		len(answer.Fleet) != 1 || answer.Fleet[0].HostName != "db-1" {
		t.Errorf("portolan 5432 --server --json: %+v %v", answer, err)
	}
}
