package ui_test

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
)

// exposedListeners are four listeners as serve's scan reports them: one on
// loopback, one on every interface with the firewall unknown (not root),
// one on a private address behind a DROP, and one under pm2 in a checkout.
func exposedListeners() []portolan.Socket {
	lis := func(addr string, e *portolan.Reachability, h *portolan.Holder) portolan.Socket {
		return portolan.Socket{Proto: portolan.TCP, Local: netip.MustParseAddrPort(addr), State: "LISTEN", Exposure: e,
			Owner: &portolan.Process{PID: 4000 + int(netip.MustParseAddrPort(addr).Port()%1000), Name: "srv", Holder: h}}
	}
	return []portolan.Socket{
		lis("127.0.0.1:47101", &portolan.Reachability{Scope: "loopback", Reach: portolan.ReachLoopback}, nil),
		lis("0.0.0.0:47102", &portolan.Reachability{Scope: "wildcard", Reach: portolan.ReachAll, Firewall: "unknown", Exposed: true}, nil),
		lis("10.1.2.3:47103", &portolan.Reachability{Scope: "private", Reach: portolan.ReachLAN, Firewall: "deny", Exposed: false}, nil),
		lis("192.168.7.7:47104", &portolan.Reachability{Scope: "private", Reach: portolan.ReachLAN, Firewall: "allow", Exposed: true},
			&portolan.Holder{Supervisor: &portolan.Supervisor{PID: 812, Kind: "pm2", Stop: "pm2 stop shop"},
				Project: &portolan.ProjectDir{Top: "/home/ann/src/shop", Worktree: "/home/ann/src/shop", Branch: "feat-x"}}),
	}
}

// The page marks listeners other hosts can reach, in colour and in words,
// and says what holds each: in the listeners table and in a port's
// details. A loopback listener carries no mark; one the firewall denies
// is said plainly, without the warning colour.
func TestExposedListenersAndHolders(t *testing.T) {
	url, _ := realServerWith(t, func(c *porthttp.Config) {
		c.Sockets = func(context.Context) ([]portolan.Socket, error) { return exposedListeners(), nil }
	})

	tb := newTab(t, 20*time.Second)
	tb.open(t, url)
	tb.waitFor(t, "four listeners", `document.querySelectorAll('#listeners-body tbody tr').length === 4`, 10*time.Second)
	row := func(port int) string {
		return eval[string](t, tb, `[...document.querySelectorAll('#listeners-body tbody tr')].find(r => r.textContent.startsWith('`+
			strconv.Itoa(port)+`/tcp')).textContent`)
	}
	badge := func(port int) (text, bg string) {
		type b struct{ Text, BG string }
		got := eval[b](t, tb, `(() => { const r = [...document.querySelectorAll('#listeners-body tbody tr')].find(r => r.textContent.startsWith('`+
			strconv.Itoa(port)+`/tcp')); const e = r.querySelector('.exposure'); return e ? { text: e.textContent, bg: getComputedStyle(e).backgroundColor } : { text: '', bg: '' }; })()`)
		return got.Text, got.BG
	}
	if text, _ := badge(47101); text != "" || strings.Contains(row(47101), "exposed") {
		t.Errorf("loopback listener: %q; want no exposure mark", row(47101))
	}
	allText, allBG := badge(47102)
	if allText != "exposed: all interfaces, firewall unknown" {
		t.Errorf("wildcard listener's mark = %q; want %q", allText, "exposed: all interfaces, firewall unknown")
	}
	denyText, denyBG := badge(47103)
	if denyText != "local network, firewall denies" || strings.Contains(denyText, "exposed") {
		t.Errorf("denied listener's mark = %q; want %q", denyText, "local network, firewall denies")
	}
	lanText, lanBG := badge(47104)
	if lanText != "exposed: local network" {
		t.Errorf("LAN listener's mark = %q; want %q", lanText, "exposed: local network")
	}
	if allBG == denyBG || lanBG == denyBG || allBG == lanBG {
		t.Errorf("mark colours all %s, lan %s, denied %s; want three different colours", allBG, lanBG, denyBG)
	}
	// An anonymous reader on loopback sees the checkout's base name only.
	if r := row(47104); !strings.Contains(r, "under pm2 pid 812 shop") || strings.Contains(r, "/home/ann") || strings.Contains(r, "feat-x") {
		t.Errorf("pm2 listener's row = %q; want its holder, the checkout by base name only", r)
	}
	// The filter finds listeners by holder and by "exposed".
	tb.do(t, "filtering by supervisor", chromedp.SendKeys(chromedp.CSS("#listeners-filter"), "pm2"))
	tb.waitFor(t, "only the pm2 listener", `document.querySelectorAll('#listeners-body tbody tr').length === 1`, 5*time.Second)

	// A port's details say the same.
	tb.open(t, url+"/#47102")
	tb.waitFor(t, "the details of 47102 with the mark",
		`[...document.querySelectorAll('.exposure')].some(e => e.textContent === 'exposed: all interfaces, firewall unknown')`, 10*time.Second)
	tb.screenshot(t, "exposure")
	tb.clean(t)
}
