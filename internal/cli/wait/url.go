package wait

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/probe"
)

// isURL reports whether a target is an http:// or https:// URL rather
// than HOST:PORT.
func isURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// checkURL refuses a URL no request could be made to, naming the form.
func checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil, cmdutil.FlagErrorf("%q is not a URL: want http://HOST[:PORT]/PATH, or HOST:PORT", s)
	}
	return u, nil
}

// urlAnswers reports whether a GET of u is answered with 2xx or 3xx
// (redirects are not followed: a 302 is the server answering). Each try is
// bounded to 2 s, and at most 4 KiB of the body is read.
func urlAnswers(ctx context.Context, c *http.Client, u string) (int, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, false
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, false
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	return resp.StatusCode, resp.StatusCode >= 200 && resp.StatusCode < 400
}

// waitURL polls u, backing off as the port waits do, until it answers
// 2xx/3xx (or, with close, until it does not). It returns the last status.
func (o *Options) waitURL(ctx context.Context, u string, report func(target string, status int, after time.Duration)) error {
	c := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{Proxy: http.ProxyFromEnvironment, DisableKeepAlives: true},
	}
	start := time.Now()
	retry := probe.FirstRetry
	for {
		status, ok := urlAnswers(ctx, c, u)
		if ok != o.Close {
			if report != nil {
				report(u, status, time.Since(start))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			want := "to answer 2xx or 3xx"
			if o.Close {
				want = "to stop answering"
			}
			last := "no answer"
			if status != 0 {
				last = fmt.Sprintf("last answer %d %s", status, http.StatusText(status))
			}
			return portolan.Errorf(portolan.ETIMEOUT, "timed out after %s waiting for %s %s (%s)", time.Since(start).Round(time.Millisecond), u, want, last)
		case <-time.After(retry):
		}
		retry = min(retry*2, probe.MaxRetry)
	}
}
