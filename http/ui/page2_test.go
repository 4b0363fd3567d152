package ui_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A teammate who reaches the server by a name (here portolan.test, mapped
// to loopback inside the browser) is refused anonymous reads, as anyone off
// this host is: the page asks for a token, keeps it in this tab's
// sessionStorage only, sends it on every read, forgets a refused one, and
// signs out.
func TestSignInWithAToken(t *testing.T) {
	base, _ := realServer(t)
	url := strings.Replace(base, "127.0.0.1", "portolan.test", 1) + "/"
	tb := newTab(t, 40*time.Second)
	tb.do(t, "loading the page by name", chromedp.Navigate(url))
	tb.waitFor(t, "the sign-in form", `!document.querySelector('#signin').hidden`, 10*time.Second)
	if msg := tb.text(t, "#signin-msg"); !strings.Contains(msg, "token") {
		t.Errorf("sign-in message = %q, want the server's reason, which names the token", msg)
	}
	tb.screenshot(t, "signin")
	if got := eval[string](t, tb, `document.activeElement.id`); got != "token" {
		t.Errorf("focus is on %q, want the token field", got)
	}

	// A wrong token is refused and forgotten.
	tb.do(t, "a wrong token", chromedp.SendKeys(chromedp.CSS("#token"), "not-the-token"),
		chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	tb.waitFor(t, "the refusal", `(document.querySelector('#signin-msg')?.textContent || '').startsWith('The token was not accepted')`, 10*time.Second)
	if got := eval[string](t, tb, `sessionStorage.getItem('portolan.token') || ''`); got != "" {
		t.Errorf("a refused token stays in sessionStorage: %q", got)
	}

	// The read token opens every panel.
	tb.do(t, "the read token", chromedp.SendKeys(chromedp.CSS("#token"), readToken),
		chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	tb.waitFor(t, "the map", `document.documentElement.dataset.mapDrawn`, 10*time.Second)
	tb.waitFor(t, "the listeners table", `!!document.querySelector('#listeners-body table')`, 10*time.Second)
	tb.waitFor(t, "the leases panel", `!(document.querySelector('#leases-body')?.textContent || '').includes('Loading')`, 10*time.Second)
	if !eval[bool](t, tb, `document.querySelector('#signin').hidden && !document.querySelector('#signed-in').hidden`) {
		t.Error("after signing in the form still shows, or 'signed in' does not")
	}
	if got := eval[string](t, tb, `sessionStorage.getItem('portolan.token')`); got != readToken {
		t.Errorf("sessionStorage token = %q, want the read token", got)
	}
	if got := eval[int](t, tb, `localStorage.length`); got != 0 {
		t.Errorf("localStorage holds %d items; the token must stay out of it", got)
	}
	if loc := eval[string](t, tb, `location.href`); strings.Contains(loc, readToken) {
		t.Errorf("the token is in the URL: %s", loc)
	}
	tb.do(t, "typing 5432", chromedp.SendKeys(chromedp.CSS("#q"), "5432"))
	tb.waitFor(t, "the details of 5432 read with the token",
		`(document.querySelector('#details-title')?.textContent || '').includes('Port 5432')`, 10*time.Second)
	tb.screenshot(t, "signed-in")

	// Signing out forgets the token and reloads: the page asks again.
	tb.do(t, "signing out", chromedp.Click(chromedp.CSS("#signout")))
	waitAcrossReload(t, tb, "the sign-in form after the reload",
		`!document.querySelector('#signin').hidden`, 10*time.Second)
	if got := eval[string](t, tb, `sessionStorage.getItem('portolan.token') || ''`); got != "" {
		t.Errorf("after signing out sessionStorage holds %q", got)
	}
	// The only errors are the refused reads themselves (401s, and the map
	// preload the browser made without the token).
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		if !strings.Contains(e, "401") && !strings.Contains(e, "preload") {
			t.Errorf("page error: %s", e)
		}
	}
}

// waitAcrossReload polls expr until it holds, through a reload (while the
// old document goes, evaluating fails: that is retried, not an error).
func waitAcrossReload(t *testing.T, tb *tab, what, expr string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s (%s): not within %v", what, expr, d)
}

// A link to /#443 fills the search box; /#kerberos is headed once by its
// name; the details card sits right under the search box, not below the
// map's first half.
func TestHashLinksAndDetailsPlacement(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 20*time.Second)
	tb.open(t, url+"/#443")
	tb.waitFor(t, "the details of 443", `(document.querySelector('#details-title')?.textContent || '').includes('Port 443')`, 5*time.Second)
	if got := eval[string](t, tb, `document.querySelector('#q').value`); got != "443" {
		t.Errorf("search box = %q after opening /#443, want 443", got)
	}
	gap := eval[float64](t, tb, `document.querySelector('#details').getBoundingClientRect().top - document.querySelector('#search').getBoundingClientRect().bottom`)
	if gap > 40 {
		t.Errorf("the details card starts %.0f px below the search box; want it right under it", gap)
	}
	tb.do(t, "following /#kerberos", chromedp.Navigate(url+"/#kerberos"))
	tb.waitFor(t, "the details of kerberos", `(document.querySelector('#details-title')?.textContent || '').toLowerCase().includes('kerberos')`, 5*time.Second)
	if got := strings.TrimSpace(tb.text(t, "#details-title")); strings.Count(strings.ToLower(got), "kerberos") != 1 {
		t.Errorf("details title = %q, want kerberos named once", got)
	}
	if got := eval[string](t, tb, `document.querySelector('#q').value`); got != "kerberos" {
		t.Errorf("search box = %q after /#kerberos, want kerberos", got)
	}
	tb.clean(t)
}

// The page's search includes the curated common uses, labelled as such:
// "remote desktop" reaches 3389 (IANA calls it ms-wbt-server, "MS WBT
// Server") and "vite" reaches 5173, which IANA leaves unassigned.
func TestSearchFindsCommonUses(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 20*time.Second)
	tb.open(t, url)
	for _, c := range []struct{ q, port string }{{"remote desktop", "3389/"}, {"vite", "5173/"}} {
		tb.do(t, "typing "+c.q, chromedp.SendKeys(chromedp.CSS("#q"), kb.Escape), chromedp.SendKeys(chromedp.CSS("#q"), c.q))
		tb.waitFor(t, c.port+" among the results of "+c.q,
			`[...document.querySelectorAll('#results .result')].some(r => r.querySelector('.r-port').textContent.startsWith('`+c.port+`') && r.textContent.includes('common use, not IANA'))`, 5*time.Second)
	}
	tb.do(t, "opening the first result", chromedp.Click(chromedp.CSS("#results .result")))
	tb.waitFor(t, "the details of 5173", `(document.querySelector('#details-title')?.textContent || '').includes('Port 5173')`, 5*time.Second)
	tb.clean(t)
}

// A port named through the API (as `portolan port web` names one) shows
// in the page's named-ports panel with its checkout, within a poll.
func TestNamedPortsPanel(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 20*time.Second)
	tb.open(t, url)
	tb.waitFor(t, "the empty named-ports panel", `(document.querySelector('#names-body')?.textContent || '').includes('No named ports yet')`, 5*time.Second)
	req, _ := http.NewRequest("PUT", url+"/v1/names", strings.NewReader(`{"project":"/src/shop","worktree":"/src/shop-feat","name":"web"}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("PUT /v1/names: %d", res.StatusCode)
	}
	tb.waitFor(t, "the named port on the page",
		`[...document.querySelectorAll('#names-body tr')].some(r => r.textContent.includes('web') && r.textContent.includes('/src/shop-feat'))`, 8*time.Second)
	tb.screenshot(t, "names")
	tb.clean(t)
}

// The listeners table shows whole rows: none is cut by a scroll box.
func TestListenersLastRowWhole(t *testing.T) {
	var lns []net.Listener
	for range 40 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
	}
	t.Cleanup(func() {
		for _, ln := range lns {
			ln.Close()
		}
	})
	url, _ := realServer(t)
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		tb := newTab(t, 20*time.Second)
		tb.do(t, "sizing the window", chromedp.EmulateViewport(size.w, size.h))
		tb.open(t, url)
		tb.waitFor(t, "40 listeners", `document.querySelectorAll('#listeners-body tbody tr').length >= 40`, 10*time.Second)
		// No row may straddle the bottom edge of a box that clips it.
		cut := eval[float64](t, tb, `(() => {
			let worst = 0;
			for (const tr of document.querySelectorAll('#listeners-body tbody tr')) {
				const r = tr.getBoundingClientRect();
				for (let el = tr.parentElement; el && el !== document.body; el = el.parentElement) {
					const s = getComputedStyle(el);
					if (s.overflowY === 'visible' && s.overflowX === 'visible') continue;
					const b = el.getBoundingClientRect().bottom;
					if (r.top < b - 1 && r.bottom > b + 1) worst = Math.max(worst, r.bottom - b);
				}
			}
			return worst; })()`)
		if cut > 0.5 {
			t.Errorf("%s: the last listener row is cut by %.1f px", size.name, cut)
		}
		tb.screenshot(t, "listeners-"+size.name)
		tb.clean(t)
	}
}
