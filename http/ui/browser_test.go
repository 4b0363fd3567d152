package ui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// One headless Chromium serves every test in the package (each test gets
// its own tab): starting the browser costs more than most tests.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
	path   string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		// Chromium's helpers may still write for a moment after it exits.
		for range 50 {
			if os.RemoveAll(browser.dir) == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	os.Exit(code)
}

// chromium finds Debian's chromium (or another Chrome) on this machine.
func chromium() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func startBrowser() {
	browser.path = chromium()
	if browser.path == "" {
		return
	}
	browser.dir, browser.err = os.MkdirTemp("", "portolan-ui-chromium-")
	if browser.err != nil {
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser.path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// portolan.test names the loopback server without DNS: the
		// sign-in test reaches the page by a name, as a teammate would.
		chromedp.Flag("host-resolver-rules", "MAP portolan.test 127.0.0.1"),
		chromedp.UserDataDir(browser.dir),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	browser.ctx, browser.cancel = ctx, func() { cancel(); cancelAlloc() }
	// Start the browser without a deadline: a deadline on the first call
	// would bound the browser's whole life.
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(ctx) }()
	select {
	case browser.err = <-start:
	case <-time.After(30 * time.Second):
		browser.err = fmt.Errorf("chromium %s did not start within 30s", browser.path)
	}
}

// tab is one browser tab on the page, with the page's console errors,
// uncaught exceptions and browser log errors (CSP violations among them).
type tab struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

// newTab opens a tab bounded by timeout. It skips the test only when no
// Chromium is installed.
func newTab(t testing.TB, timeout time.Duration) *tab {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.path == "" {
		t.Skip("chromium is not installed (apt-get install chromium, or run scripts/install-deps.sh as root)")
	}
	if browser.err != nil {
		t.Fatalf("starting %s: %v", browser.path, browser.err)
	}
	tctx, cancelTab := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tb := &tab{}
	go func() {
		for ev, err := range chromedp.Events(tctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			tb.add("exception: " + (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(tctx, runtime.ConsoleAPICalled) {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				tb.add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(tctx, cdplog.EntryAdded) {
			if err != nil {
				return
			}
			if e := ev.Entry; e != nil && (e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning) {
				tb.add("log " + string(e.Level) + ": " + e.Text + " " + e.URL)
			}
		}
	}()
	if _, err := chromedp.Call(tctx, cdplog.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tctx, timeout)
	t.Cleanup(cancel)
	tb.ctx = ctx
	return tb
}

func (tb *tab) add(s string) {
	tb.mu.Lock()
	tb.errors = append(tb.errors, s)
	tb.mu.Unlock()
}

// clean fails the test when the page logged an error or a CSP violation.
func (tb *tab) clean(t testing.TB) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		t.Errorf("page error: %s", e)
	}
}

// do runs actions, failing the test with what step failed.
func (tb *tab) do(t testing.TB, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first element matching sel.
func (tb *tab) text(t testing.TB, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, tb *tab, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it holds or d passes.
func (tb *tab) waitFor(t testing.TB, what, expr string, d time.Duration) {
	t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(d)))
	if err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// open loads the page and waits until the map is drawn.
func (tb *tab) open(t testing.TB, url string) {
	t.Helper()
	tb.do(t, "loading "+url, chromedp.Navigate(url))
	tb.waitFor(t, "the map to be drawn", `document.documentElement.dataset.mapDrawn`, 5*time.Second)
}

// darkMode makes the tab prefer a dark colour scheme.
func (tb *tab) darkMode(t testing.TB) {
	t.Helper()
	_, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
	if err != nil {
		t.Fatal(err)
	}
}

// screenshot saves a full-page PNG under $PORTOLAN_UI_SCREENSHOTS when set,
// to look at the design.
func (tb *tab) screenshot(t testing.TB, name string) {
	t.Helper()
	dir := os.Getenv("PORTOLAN_UI_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
