package ui_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Browser tests: the real API server with the page, a temp SQLite store and
// the embedded IANA registry, driven by headless Chromium the way a person
// uses the page.

func TestSearchFindsPostgres(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 20*time.Second)
	tb.open(t, url)
	tb.do(t, "typing 5432", chromedp.SendKeys(chromedp.CSS("#q"), "5432"))
	tb.waitFor(t, "postgresql in the results",
		`[...document.querySelectorAll('#results .result')].some(r => r.textContent.includes('postgresql'))`, 5*time.Second)
	tb.waitFor(t, "the details of 5432",
		`(document.querySelector('#details-title')?.textContent || '').includes('Port 5432')`, 5*time.Second)
	if got := tb.text(t, "#details-title"); !strings.Contains(got, "postgresql") {
		t.Errorf("details title = %q, want it to name postgresql", got)
	}
	if got := tb.text(t, "#status"); !strings.Contains(got, "for “5432”") {
		t.Errorf("status = %q, want the result count for “5432” (read out by aria-live)", got)
	}
	if got := tb.text(t, "#details"); !strings.Contains(got, "PostgreSQL Database") {
		t.Errorf("details do not show IANA's description: %q", got)
	}

	// A name search lists the port, and picking a result opens it.
	tb.do(t, "typing a name", chromedp.SendKeys(chromedp.CSS("#q"), kb.Escape), chromedp.SendKeys(chromedp.CSS("#q"), "domain"))
	tb.waitFor(t, "53 among the results of domain",
		`[...document.querySelectorAll('#results .r-port')].some(p => p.textContent.startsWith('53/'))`, 5*time.Second)
	tb.do(t, "opening the first result", chromedp.KeyEvent(kb.Enter))
	tb.waitFor(t, "details of a result",
		`(document.querySelector('#details-title')?.textContent || '').includes('Port 53')`, 5*time.Second)
	tb.screenshot(t, "search")
	tb.clean(t)
}

// cellCenter returns the page coordinates of port p's cell on the map.
func cellCenter(t *testing.T, tb *tab, p int) (float64, float64) {
	t.Helper()
	tb.do(t, "scrolling to the map", chromedp.ScrollIntoView(chromedp.CSS("#map")))
	// The page scrolls smoothly, and on a loaded machine the scroll is
	// still under way here: read the map's place until it holds still, or
	// the tap lands on another port.
	rect := `(() => { const b = document.querySelector('#map').getBoundingClientRect(); return {x: b.left, y: b.top, w: b.width, h: b.height}; })()`
	r := eval[map[string]float64](t, tb, rect)
	for range 50 {
		time.Sleep(100 * time.Millisecond)
		next := eval[map[string]float64](t, tb, rect)
		if maps.Equal(next, r) {
			break
		}
		r = next
	}
	return r["x"] + (float64(p%256)+0.5)*r["w"]/256, r["y"] + (float64(p/256)+0.5)*r["h"]/256
}

func TestMapCellOpensDetails(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 20*time.Second)
	tb.open(t, url)

	x, y := cellCenter(t, tb, 443)
	tb.do(t, "hovering over 443", chromedp.MouseEvent("mouseMoved", x, y))
	tb.waitFor(t, "the tooltip to name https",
		`(() => { const t = document.querySelector('.map-tip'); return !t.hidden && t.textContent.startsWith('443') && t.textContent.includes('https'); })()`, 5*time.Second)
	tb.do(t, "clicking the cell of 443", chromedp.MouseClickXY(x, y))
	tb.waitFor(t, "the details of 443",
		`(document.querySelector('#details-title')?.textContent || '').includes('Port 443')`, 5*time.Second)
	details := tb.text(t, "#details")
	for _, want := range []string{"https", "system", "well-known"} {
		if !strings.Contains(details, want) {
			t.Errorf("details of the cell of 443 lack %q: %q", want, details)
		}
	}
	if h := eval[string](t, tb, `location.hash`); h != "#443" {
		t.Errorf("location.hash = %q, want #443 so the view can be linked", h)
	}

	// The keyboard reaches every cell: 22 steps right from port 0 is ssh.
	tb.do(t, "focusing the map", chromedp.Focus(chromedp.CSS("#map")), chromedp.KeyEvent(kb.Home, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	for range 22 {
		tb.do(t, "arrow right", chromedp.KeyEvent(kb.ArrowRight))
	}
	tb.waitFor(t, "the readout of 22", `document.querySelector('#map-readout').textContent.startsWith('Port 22 (ssh)')`, 5*time.Second)
	tb.do(t, "pressing Enter", chromedp.KeyEvent(kb.Enter))
	tb.waitFor(t, "the details of 22",
		`(document.querySelector('#details-title')?.textContent || '').includes('Port 22 ssh')`, 5*time.Second)
	tb.do(t, "arrow down", chromedp.KeyEvent(kb.ArrowDown))
	tb.waitFor(t, "a row down is 278", `document.querySelector('#map-readout').textContent.startsWith('Port 278')`, 5*time.Second)
	tb.screenshot(t, "map")
	tb.clean(t)
}

// post sends an authorized JSON POST to the API and checks the status.
func post(t *testing.T, url, body string, want int) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d %s, want %d", url, res.StatusCode, b, want)
	}
}

func TestStateAppearsOnThePage(t *testing.T) {
	url, _ := realServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lport := ln.Addr().(*net.TCPAddr).Port

	tb := newTab(t, 25*time.Second)
	tb.open(t, url)
	// Other tests may hold thousands of sockets: find ours with the filter.
	tb.do(t, "filtering the listeners", chromedp.SendKeys(chromedp.CSS("#listeners-filter"), fmt.Sprint(lport)))
	rowJS := fmt.Sprintf(`[...document.querySelectorAll('#listeners-body tbody tr')].find(r => r.textContent.startsWith('%d/tcp127.0.0.1:%d'))`, lport, lport)
	tb.waitFor(t, "this test's listener in the table", rowJS, 5*time.Second)
	tb.waitFor(t, "the filter to leave only matches",
		fmt.Sprintf(`[...document.querySelectorAll('#listeners-body tbody tr')].every(r => r.textContent.includes('%d'))`, lport), 5*time.Second)
	if row := eval[string](t, tb, rowJS+`.textContent`); !strings.Contains(row, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("listener row does not name this process (pid %d): %q", os.Getpid(), row)
	}
	if got := tb.text(t, "#assignments-body"); !strings.Contains(got, "No assignments yet") {
		t.Errorf("assignments before any: %q", got)
	}

	// 40001 lies in Linux's ephemeral range: the page shows the warning.
	post(t, url+"/v1/assignments", `{"port":40001,"protocol":"tcp","name":"billing-db","owner":"payments","note":"primary"}`, http.StatusCreated)
	post(t, url+"/v1/leases", `{"protocol":"tcp","label":"ui-test-lease","ttl":"10m"}`, http.StatusCreated)
	tb.waitFor(t, "the new assignment on the page",
		`document.querySelector('#assignments-body').textContent.includes('billing-db')`, 10*time.Second)
	tb.waitFor(t, "the new lease on the page",
		`document.querySelector('#leases-body').textContent.includes('ui-test-lease')`, 10*time.Second)
	row := tb.text(t, "#assignments-body tbody tr")
	for _, want := range []string{"40001/tcp", "billing-db", "payments", "primary", "ephemeral"} {
		if !strings.Contains(row, want) {
			t.Errorf("assignment row lacks %q: %q", want, row)
		}
	}
	tb.waitFor(t, "the map to count the assignment", `document.querySelector('#count-assignments').textContent === '1'`, 5*time.Second)

	// The map marks it: hovering its cell names the assignment.
	x, y := cellCenter(t, tb, 40001)
	tb.do(t, "hovering over 40001", chromedp.MouseEvent("mouseMoved", x, y))
	tb.waitFor(t, "the tooltip of 40001",
		`document.querySelector('.map-tip').textContent.includes('assigned: billing-db/tcp (payments)')`, 5*time.Second)
	tb.screenshot(t, "state")
	tb.clean(t)
}

func TestPhoneAndDarkMode(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 40*time.Second)
	tb.darkMode(t)
	tb.do(t, "emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	tb.open(t, url+"/#5432")
	tb.waitFor(t, "the linked details", `(document.querySelector('#details-title')?.textContent || '').includes('Port 5432')`, 5*time.Second)
	// Wait for every list: a long row is what would widen the page.
	tb.waitFor(t, "the lists", `document.querySelector('#listeners-body tbody') && document.querySelector('#assignments-body .empty')`, 5*time.Second)
	wide := `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391).map(e => e.tagName + '.' + e.className)`
	if w := eval[float64](t, tb, `window.innerWidth`); w != 390 {
		t.Errorf("layout viewport is %v px wide on a 390 px phone, want 390 (wider content made it zoom out: %q)", w, eval[[]string](t, tb, wide))
	}
	if w := eval[float64](t, tb, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %v px wider than a 390 px phone: it scrolls sideways", w)
	}
	if w := eval[float64](t, tb, `document.querySelector('#map').getBoundingClientRect().width`); w < 256 || w > 390 {
		t.Errorf("map is %v px wide on a 390 px phone, want 256-390 (one cell per port at least)", w)
	}
	if bg := eval[string](t, tb, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(13, 17, 23)" {
		t.Errorf("body background in dark mode = %s, want the dark theme's rgb(13, 17, 23)", bg)
	}
	// A tap on the map opens the port and scrolls up to its details.
	x, y := cellCenter(t, tb, 443)
	tb.do(t, "tapping the cell of 443", chromedp.TapXY(x, y))
	// Polled from here rather than by a function in the page: on a phone
	// viewport under -race, the in-page poll timed out while the condition
	// already held (the details at the top, evaluated from here).
	waitAcrossReload(t, tb, "the details of 443 in view", `(() => {
		const d = document.querySelector('#details'), top = d.getBoundingClientRect().top;
		return (d.querySelector('#details-title')?.textContent || '').includes('Port 443') && top > -2 && top < innerHeight / 2;
	})()`, 15*time.Second)
	tb.screenshot(t, "phone-dark")
	tb.clean(t)
}

// TestPageLoadTime checks the goal: the page loads and draws the
// map in under 300 ms in headless Chromium (best of 5 cold loads, so a
// busy machine's hiccup does not fail it).
func TestPageLoadTime(t *testing.T) {
	url, _ := realServer(t)
	tb := newTab(t, 30*time.Second)
	tb.open(t, url) // the server computes its IANA bitset once
	times := loadTimes(t, tb, url, 5)
	t.Logf("navigation start to map drawn: %v ms", times)
	if best := slices.Min(times); best > 300 {
		t.Errorf("best of %d loads drew the map after %v ms, want under 300 ms", len(times), best)
	}
	tb.clean(t)
}

// loadTimes loads the page n times with the cache off and returns the
// milliseconds from navigation start to the map's first draw.
func loadTimes(t testing.TB, tb *tab, url string, n int) []float64 {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(tb.ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatal(err)
	}
	var out []float64
	for range n {
		tb.do(t, "loading", chromedp.Navigate(url+"/?t="+fmt.Sprint(time.Now().UnixNano())))
		tb.waitFor(t, "the map", `document.documentElement.dataset.mapDrawn`, 5*time.Second)
		ms := eval[string](t, tb, `document.documentElement.dataset.mapDrawn`)
		var v float64
		if err := json.Unmarshal([]byte(ms), &v); err != nil {
			t.Fatalf("mapDrawn = %q: %v", ms, err)
		}
		out = append(out, v)
	}
	return out
}

// contrastJS returns the WCAG contrast ratio of the text of each selector
// against the background it sits on.
const contrastJS = `(() => {
  const rgb = (s) => s.match(/[\d.]+/g).slice(0, 4).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const bg = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const out = {};
  for (const sel of ['body', 'h2', '.panel-head .sub', '.hint', '.count', 'th', 'td', '.port-link', '.foot a', '.badge.muted', '.badge.class-user', '.rec-meta', '.protos', '.r-desc', '.r-proto', '#q', '.legend label']) {
    const el = document.querySelector(sel);
    if (!el) { out[sel] = -1; continue; }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg(el))].sort((x, y) => y - x);
    out[sel] = Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100;
  }
  return out;
})()`

// unlabelledJS lists form controls and buttons without an accessible name.
const unlabelledJS = `[...document.querySelectorAll('input, button, [tabindex="0"], img')].filter((el) => {
  if (el.tagName === 'IMG') return !el.hasAttribute('alt');
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
  if (el.labels && el.labels.length) return false;
  return !el.textContent.trim();
}).map((el) => el.outerHTML.slice(0, 80))`

// TestAccessibility checks what a screen-reader or low-vision user needs:
// every control has a name, the live regions exist, and text keeps a
// contrast of at least 4.5:1 in both colour schemes.
func TestAccessibility(t *testing.T) {
	url, _ := realServer(t)
	for _, dark := range []bool{false, true} {
		tb := newTab(t, 20*time.Second)
		if dark {
			tb.darkMode(t)
		}
		tb.open(t, url)
		tb.do(t, "typing a query", chromedp.SendKeys(chromedp.CSS("#q"), "5432"))
		tb.waitFor(t, "results, details and tables",
			`document.querySelector('#results .r-desc') && document.querySelector('#details .rec-meta') && document.querySelector('#listeners-body th')`, 5*time.Second)
		if bad := eval[[]string](t, tb, unlabelledJS); len(bad) > 0 {
			t.Errorf("dark=%v: controls without an accessible name: %q", dark, bad)
		}
		for sel, want := range map[string]string{"#status": "polite", "#map-readout": "polite"} {
			if got := eval[string](t, tb, `document.querySelector('`+sel+`').getAttribute('aria-live')`); got != want {
				t.Errorf("%s aria-live = %q, want %q", sel, got, want)
			}
		}
		ratios := eval[map[string]float64](t, tb, contrastJS)
		t.Logf("dark=%v contrast: %v", dark, ratios)
		for sel, ratio := range ratios {
			switch {
			case ratio < 0:
				t.Errorf("dark=%v: no element matches %s", dark, sel)
			case ratio < 4.5:
				t.Errorf("dark=%v: %s has contrast %.2f:1, want at least 4.5:1", dark, sel, ratio)
			}
		}
		tb.clean(t)
	}
}
