package ui_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
)

// The fleet view, in a real browser: every reporting host with its state,
// and the grid's row of a port shows each host that listens on it, with
// its program and the drift in colour and in words.
func TestFleetView(t *testing.T) {
	base, _ := realServer(t)
	c := porthttp.NewClient(base, adminToken)
	ctx := context.Background()
	if _, err := c.Assign(ctx, &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "postgres", Hosts: "db-*"}, true); err != nil {
		t.Fatal(err)
	}
	l := func(port portolan.Port, program string) portolan.FleetListener {
		return portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: port}, Program: program, Reach: portolan.ReachAll}
	}
	for seq := uint64(1); seq <= 2; seq++ {
		for _, r := range []portolan.FleetReport{
			{HostID: "m-db-1", HostName: "db-1", Listeners: []portolan.FleetListener{l(5432, "/usr/bin/nc"), l(8080, "/usr/bin/python3")}},
			{HostID: "m-db-2", HostName: "db-2", Listeners: []portolan.FleetListener{l(5432, "/usr/lib/postgresql/15/bin/postgres")}},
		} {
			r.Seq, r.Full, r.Interval = seq, true, time.Minute
			if _, err := c.Report(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	tb := newTab(t, 40*time.Second)
	tb.do(t, "loading the page", chromedp.Navigate(base+"/"))
	tb.waitFor(t, "the fleet grid", `!document.querySelector('#fleet').hidden && !!document.querySelector('#fleet-body table.fleet-grid')`, 15*time.Second)
	if got := tb.text(t, "#fleet-count"); !strings.HasPrefix(got, "2 hosts") {
		t.Errorf("fleet count %q, want 2 hosts", got)
	}
	// The row of 5432: db-1's nc is foreign (the assignment names postgres),
	// db-2's postgres is fine.
	row := eval[[]string](t, tb, `[...document.querySelectorAll('#fleet-body table.fleet-grid tbody tr')]
		.find((tr) => tr.cells[0].textContent.startsWith('5432'))?.cells ? [...[...document.querySelectorAll('#fleet-body table.fleet-grid tbody tr')]
		.find((tr) => tr.cells[0].textContent.startsWith('5432')).cells].map((c) => c.textContent) : []`)
	if len(row) != 3 || !strings.Contains(row[1], "nc") || !strings.Contains(row[1], "foreign") || !strings.Contains(row[2], "postgres") || strings.Contains(row[2], "foreign") {
		t.Errorf("5432's row = %q, want db-1: nc with foreign drift, db-2: postgres without", row)
	}
	if !eval[bool](t, tb, `!!document.querySelector('#fleet-body .badge.drift-foreign') && getComputedStyle(document.querySelector('#fleet-body .badge.drift-foreign')).backgroundColor !== getComputedStyle(document.querySelector('#fleet-body .fleet-prog')).backgroundColor`) {
		t.Error("the foreign drift badge is not coloured apart")
	}
	states := eval[[]string](t, tb, `[...document.querySelectorAll('#fleet-body .badge[class*="host-"]')].map((b) => b.textContent)`)
	if strings.Join(states, ",") != "fresh,fresh" {
		t.Errorf("host states %v, want fresh, fresh", states)
	}
	if txt := tb.text(t, "#fleet-body"); !strings.Contains(txt, "unregistered") {
		t.Errorf("8080 on db-1 should show unregistered drift:\n%s", txt)
	}
	tb.screenshot(t, "fleet")
}

// A host's last report is in the past: one made a moment ago, or stamped a
// little ahead of the browser's clock, reads "just now", never "in 0 s".
func TestFleetLastReportIsNeverInTheFuture(t *testing.T) {
	base, _ := realServer(t)
	tb := newTab(t, 30*time.Second)
	tb.do(t, "loading the page", chromedp.Navigate(base+"/"))
	tb.do(t, "importing dom.js", chromedp.Evaluate[chromedp.Void](`import(document.querySelector('script[type=module]').src.replace(/app\.js$/, 'dom.js')).then((m) => {
		const at = (ms) => new Date(Date.now() + ms).toISOString();
		window.agoSeen = [m.ago(at(-300)), m.ago(at(3000)), m.ago(at(-5000)), m.ago(at(-7200 * 1000))];
	})`))
	tb.waitFor(t, "ago's answers", `!!window.agoSeen`, 10*time.Second)
	got := eval[[]string](t, tb, `window.agoSeen`)
	if want := []string{"just now", "just now", "5 s ago", "2 h ago"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ago = %q, want %q", got, want)
	}
}
