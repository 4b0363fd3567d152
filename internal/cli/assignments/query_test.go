package assignments_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/assignments"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

func TestQuerySections(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("PORTOLAN_STORE", "")
	t.Setenv("PORTOLAN_ADDR", "")
	opened := false
	f := &cmdutil.Factory{Assignments: func() (portolan.AssignmentService, error) { opened = true; return seeded(t), nil }}
	as, ls := assignments.QuerySections(f)
	if got, _ := as(ctx, portolan.SinglePort(7001), portolan.ProtoAny); got != nil || opened {
		t.Fatalf("without a store: %+v (opened %v); want nothing and no store opened", got, opened)
	}
	if _, err := os.Stat(filepath.Join(state, "portolan")); !os.IsNotExist(err) {
		t.Fatalf("a lookup created the state directory: %v", err)
	}
	// Remote: the server's assignments, filtered to the queried ports.
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{Assignments: seeded(t)}).Handler())
	defer srv.Close()
	f = &cmdutil.Factory{Server: srv.URL, Assignments: func() (portolan.AssignmentService, error) {
		return porthttp.NewClient(srv.URL, ""), nil
	}}
	as, ls = assignments.QuerySections(f)
	got, err := as(ctx, portolan.SinglePort(7001), portolan.UDP)
	if err != nil || len(got) != 1 || got[0].Proto != portolan.UDP {
		t.Fatalf("7001/udp from the server = %+v, %v", got, err)
	}
	if got, _ := as(ctx, portolan.MustParseRange("7000-9999"), portolan.ProtoAny); len(got) != 3 {
		t.Fatalf("7000-9999 = %+v; want all three", got)
	}
	if l, err := ls(ctx); err != nil || len(l) != 0 {
		t.Fatalf("leases of a server without leases = %+v, %v; want none, no error", l, err)
	}
}
