// Package ui is portolan's web page: plain HTML, CSS and JavaScript
// embedded in the binary, with no build step. The page reads the JSON API
// under /v1/ (search, the port map, listeners, leases and assignments);
// this package only serves the files.
//
// Assets live under /assets/VERSION/, where VERSION is a hash of every
// embedded file, so browsers may cache them forever ("immutable") and a new
// binary is fetched at once; the page itself is revalidated with its ETag
// on every load. Every answer carries a strict Content-Security-Policy: the
// page runs only its own scripts and talks only to its own origin.
package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var static embed.FS

// CSP allows the page's own scripts, styles and API calls and nothing else:
// no inline script, no eval, no framing, no third-party origin.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// asset is one file, ready to answer: its body, a gzipped body when that is
// smaller, and the validators.
type asset struct {
	typ  string
	body []byte
	gz   []byte
	etag string
}

// site is the page and its assets, built once from the embedded files.
type site struct {
	version string
	index   *asset
	assets  map[string]*asset // by file name
}

var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".json": "application/manifest+json",
}

var build = sync.OnceValue(func() *site {
	files := map[string][]byte{}
	sum := sha256.New()
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		files[name] = b
		sum.Write([]byte(name + "\x00"))
		sum.Write(b)
		return nil
	})
	if err != nil {
		panic("ui: embedded files unreadable: " + err.Error()) // cannot happen: embed.FS is in the binary
	}
	s := &site{version: hex.EncodeToString(sum.Sum(nil))[:12], assets: map[string]*asset{}}
	for name, b := range files {
		if name == "index.html" {
			b = bytes.ReplaceAll(b, []byte(`"/assets/`), []byte(`"/assets/`+s.version+`/`))
			s.index = newAsset(name, b)
			continue
		}
		s.assets[name] = newAsset(name, b)
	}
	return s
})

func newAsset(name string, body []byte) *asset {
	h := sha256.Sum256(body)
	a := &asset{typ: types[path.Ext(name)], body: body, etag: `"` + hex.EncodeToString(h[:8]) + `"`}
	if a.typ == "" {
		a.typ = "application/octet-stream"
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body)*9/10 {
		a.gz = buf.Bytes()
	}
	return a
}

// Version is the hash that names the current assets (/assets/VERSION/...).
func Version() string { return build().version }

// Handler serves the page at "/" and its assets under /assets/. Mount it
// at "/" beside the API: it answers GET and HEAD only, and 404 for any
// other path.
func Handler() http.Handler { return build() }

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method "+r.Method+" not allowed: the page answers GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == "/index.html":
		// The page names the current assets, so it must be revalidated.
		h.Set("Cache-Control", "no-cache")
		s.index.serve(w, r)
		return
	case strings.HasPrefix(p, "/assets/"):
		ver, name, ok := strings.Cut(strings.TrimPrefix(p, "/assets/"), "/")
		if a := s.assets[name]; ok && a != nil {
			if ver == s.version {
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				// A page from an older binary: serve today's file, uncached.
				h.Set("Cache-Control", "no-cache")
			}
			a.serve(w, r)
			return
		}
	case p == "/favicon.ico":
		h.Set("Cache-Control", "public, max-age=86400")
		s.assets["favicon.svg"].serve(w, r)
		return
	}
	h.Set("Cache-Control", "no-store")
	http.Error(w, "no page at "+p+": the page is at / and the API under /v1/", http.StatusNotFound)
}

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.typ)
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body, etag = a.gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
	}
	h.Set("ETag", etag)
	if match(r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reports whether Accept-Encoding lists gzip without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(enc), "gzip") || strings.TrimSpace(enc) == "*" {
				q := strings.ReplaceAll(params, " ", "")
				return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
			}
		}
	}
	return false
}

// match reports whether an If-None-Match header names etag (weakly, as
// RFC 9110 asks for GET).
func match(header, etag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		t := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
