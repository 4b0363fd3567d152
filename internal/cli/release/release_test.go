package release_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/release"
	"github.com/portolan-dev/portolan/lease/leasetest"
)

func TestRelease(t *testing.T) {
	a, _ := leasetest.Allocator(t)
	ctx := context.Background()
	ls, err := a.Grant(ctx, portolan.LeaseRequest{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := iostreams.Test()
	o := &release.Options{IO: ios, Leases: func() (portolan.LeaseService, error) { return a, nil },
		Ports: []portolan.Port{ls[0].Port, 9, ls[1].Port}}
	err = release.Run(ctx, o)
	if cmdutil.ExitCode(err) != 1 {
		t.Errorf("exit %d, want 1 (port 9 was not leased)", cmdutil.ExitCode(err))
	}
	want := "released " + ls[0].Port.String() + "\nreleased " + ls[1].Port.String() + "\n"
	if out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
	if !strings.Contains(errOut.String(), "port 9 is not leased") {
		t.Errorf("stderr %q should say port 9 is not leased", errOut.String())
	}
	if left, _ := a.Leases(ctx); len(left) != 0 {
		t.Errorf("leases left: %v", left)
	}
}

// release --json: one entry per port, released or why not.
func TestReleaseJSON(t *testing.T) {
	a, _ := leasetest.Allocator(t)
	ctx := context.Background()
	ls, err := a.Grant(ctx, portolan.LeaseRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	err = release.Run(ctx, &release.Options{IO: ios, Leases: func() (portolan.LeaseService, error) { return a, nil },
		Ports: []portolan.Port{ls[0].Port, 9}, JSON: true})
	var got []release.Released
	if cmdutil.ExitCode(err) != 1 || json.Unmarshal(out.Bytes(), &got) != nil || len(got) != 2 ||
		!got[0].Released || got[0].Port != ls[0].Port || got[1].Released || !strings.Contains(got[1].Error, "port 9 is not leased") {
		t.Fatalf("release --json: %q exit %d", out.String(), cmdutil.ExitCode(err))
	}
}
