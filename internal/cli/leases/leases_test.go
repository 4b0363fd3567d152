package leases_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/leases"
	"github.com/portolan-dev/portolan/lease/leasetest"
)

func TestLeasesLists(t *testing.T) {
	a, _ := leasetest.Allocator(t)
	ctx := context.Background()
	svc := func() (portolan.LeaseService, error) { return a, nil }
	run := func(tty, asJSON bool) (string, string, int) {
		ios, _, out, errOut := iostreams.Test()
		ios.SetStdoutTTY(tty)
		err := leases.Run(ctx, &leases.Options{IO: ios, Leases: svc, JSON: asJSON, Now: time.Now})
		return out.String(), errOut.String(), cmdutil.ExitCode(err)
	}
	if out, _, code := run(false, false); code != 1 || out != "" {
		t.Fatalf("no leases: %q exit %d, want nothing and exit 1", out, code)
	}
	if out, _, code := run(false, true); code != 1 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("no leases --json: %q exit %d, want [] and exit 1", out, code)
	}
	ttl, err := a.Grant(ctx, portolan.LeaseRequest{TTL: 10 * time.Minute, Label: "e2e", Proto: portolan.TCP})
	if err != nil {
		t.Fatal(err)
	}
	owned, err := a.Grant(ctx, portolan.LeaseRequest{PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	out, _, code := run(false, false)
	rows := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 0 || len(rows) != 2 {
		t.Fatalf("piped: %q exit %d", out, code)
	}
	for _, r := range rows {
		f := strings.Split(r, "\t")
		switch f[0] {
		case ttl[0].Port.String():
			if f[1] != "tcp" || f[2] != "-" || f[3] != "e2e" || !strings.HasSuffix(f[4], "Z") {
				t.Errorf("TTL lease row %q", r)
			}
		case owned[0].Port.String():
			if f[1] != "both" || f[2] != strconv.Itoa(os.Getpid()) || f[3] != "-" || f[4] != "-" {
				t.Errorf("owned lease row %q", r)
			}
		default:
			t.Errorf("row %q is no lease of ours", r)
		}
	}
	out, _, _ = run(true, false)
	if strings.Join(strings.Fields(strings.SplitN(out, "\n", 2)[0]), " ") != "PORT PROTO PID LABEL EXPIRES" || !strings.Contains(out, "in 10m0s") || !strings.Contains(out, "when pid "+strconv.Itoa(os.Getpid())+" exits") {
		t.Errorf("table:\n%s", out)
	}
	out, _, _ = run(false, true)
	var got []portolan.Lease
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Errorf("--json: %v %s", err, out)
	}
}
