package ui_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/http/ui"
)

// get serves one request through the handler.
func get(t testing.TB, method, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	ui.Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t testing.TB, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)

func TestPageHeaders(t *testing.T) {
	res := get(t, "GET", "/")
	page := body(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("GET / = %d", res.StatusCode)
	}
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"Content-Security-Policy": ui.CSP,
		"X-Content-Type-Options":  "nosniff",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("GET / %s = %q, want %q", k, got, v)
		}
	}
	for _, d := range []string{"script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"} {
		if !strings.Contains(ui.CSP, d) {
			t.Errorf("CSP lacks %q", d)
		}
	}
	if strings.Contains(ui.CSP, "unsafe-") {
		t.Errorf("CSP allows unsafe sources: %s", ui.CSP)
	}

	// The page revalidates with its ETag.
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("GET / has no ETag")
	}
	if res := get(t, "GET", "/", "If-None-Match", etag); res.StatusCode != http.StatusNotModified || body(t, res) != "" {
		t.Errorf("GET / If-None-Match: %d, want 304 without a body", res.StatusCode)
	}

	// Every asset the page names is versioned, served with its type and
	// cached for good.
	refs := assetRef.FindAllStringSubmatch(page, -1)
	if len(refs) < 5 {
		t.Fatalf("page names %d assets, want the icon, the CSS and the scripts: %s", len(refs), page)
	}
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	for _, m := range refs {
		path := m[1]
		if !strings.HasPrefix(path, "/assets/"+ui.Version()+"/") {
			t.Errorf("asset %s is not under /assets/%s/", path, ui.Version())
		}
		res := get(t, "GET", path)
		b := body(t, res)
		ext := path[strings.LastIndex(path, "."):]
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != types[ext] || len(b) == 0 {
			t.Errorf("GET %s = %d %q (%d bytes), want 200 %q", path, res.StatusCode, res.Header.Get("Content-Type"), len(b), types[ext])
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s Cache-Control = %q, want immutable", path, cc)
		}
		if res.Header.Get("Content-Security-Policy") != ui.CSP {
			t.Errorf("GET %s has no CSP", path)
		}
	}
}

// The CSP forbids inline code, so the page must have none, and every module
// a script imports must be embedded.
func TestPageFollowsItsCSP(t *testing.T) {
	page := body(t, get(t, "GET", "/"))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s+type="module")?\s*>`),
		regexp.MustCompile(`\sstyle="`), regexp.MustCompile(`<style`),
		regexp.MustCompile(`\son[a-z]+="`), regexp.MustCompile(`javascript:`),
	} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("page has inline code the CSP blocks: %q", page[loc[0]:min(len(page), loc[1]+30)])
		}
	}
	imp := regexp.MustCompile(`from '\./([a-z]+\.js)'`)
	for _, m := range assetRef.FindAllStringSubmatch(page, -1) {
		if !strings.HasSuffix(m[1], ".js") {
			continue
		}
		src := body(t, get(t, "GET", m[1]))
		if strings.Contains(src, "innerHTML") || strings.Contains(src, "eval(") {
			t.Errorf("%s uses innerHTML or eval: data must reach the page as text", m[1])
		}
		for _, im := range imp.FindAllStringSubmatch(src, -1) {
			if res := get(t, "GET", "/assets/"+ui.Version()+"/"+im[1]); res.StatusCode != 200 {
				t.Errorf("%s imports %s, which is not served (%d)", m[1], im[1], res.StatusCode)
			}
		}
	}
}

func TestAssetEncodingAndValidators(t *testing.T) {
	path := "/assets/" + ui.Version() + "/app.js"
	plain := get(t, "GET", path)
	pb := body(t, plain)
	gz := get(t, "GET", path, "Accept-Encoding", "br, gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip answer: Content-Encoding %q Vary %q", gz.Header.Get("Content-Encoding"), gz.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(body(t, gz))))
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if string(unz) != pb {
		t.Error("gzipped app.js differs from the plain one")
	}
	if gz.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Error("the gzipped and plain bodies share one ETag")
	}
	if res := get(t, "GET", path, "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
	for _, inm := range []string{plain.Header.Get("ETag"), `"x", W/` + plain.Header.Get("ETag"), "*"} {
		if res := get(t, "GET", path, "If-None-Match", inm); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match %s = %d, want 304", inm, res.StatusCode)
		}
	}
	head := get(t, "HEAD", path)
	if body(t, head) != "" || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: body or no Content-Length")
	}
	// A page from an older binary still gets today's file, uncached.
	if res := get(t, "GET", "/assets/0123456789ab/app.js"); res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old version: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
}

func TestPageRefusals(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/", http.StatusMethodNotAllowed},
		{"DELETE", "/assets/" + ui.Version() + "/app.js", http.StatusMethodNotAllowed},
		{"GET", "/nope", http.StatusNotFound},
		{"GET", "/assets/" + ui.Version() + "/nope.js", http.StatusNotFound},
		{"GET", "/assets/app.js", http.StatusNotFound},
		{"GET", "/assets/" + ui.Version() + "/../index.html", http.StatusNotFound},
		{"GET", "/favicon.ico", http.StatusOK},
	} {
		res := get(t, tc.method, tc.path)
		if res.StatusCode != tc.status {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
		if tc.status == http.StatusMethodNotAllowed && res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow = %q", tc.method, tc.path, res.Header.Get("Allow"))
		}
	}
}

// FuzzHandler feeds the request parsers (path, Accept-Encoding,
// If-None-Match) arbitrary input: the handler never panics and answers
// only the statuses it documents.
func FuzzHandler(f *testing.F) {
	f.Add("/", "gzip", `"abc"`)
	f.Add("/assets/"+ui.Version()+"/app.js", "gzip;q=0, *", `W/"x", *`)
	f.Add("/assets//", ";;,", ",,")
	f.Add("/assets/x/favicon.svg", "GZIP ; q=0.000", "")
	f.Fuzz(func(t *testing.T, path, ae, inm string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = "/" + strings.TrimPrefix(path, "/")
		req.Header.Set("Accept-Encoding", ae)
		req.Header.Set("If-None-Match", inm)
		rec := httptest.NewRecorder()
		ui.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 304, 404:
		default:
			t.Fatalf("GET %q = %d", req.URL.Path, rec.Code)
		}
	})
}
