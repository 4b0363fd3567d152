package cmdutil_test

import (
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

func TestIsLoopbackURL(t *testing.T) {
	for url, want := range map[string]bool{
		"http://127.0.0.1:7070": true, "http://localhost:7070": true, "http://[::1]:80": true,
		"http://127.5.0.1": true, "https://ports.example.com": false, "http://[2001:db8::1]:80": false, "::": false,
	} {
		if got := cmdutil.IsLoopbackURL(url); got != want {
			t.Errorf("IsLoopbackURL(%q) = %v, want %v", url, got, want)
		}
	}
}

// A server address no request could reach is bad input (exit 2) named with
// the form wanted, not net/http's "unsupported protocol scheme" (exit 1).
func TestCheckServerURL(t *testing.T) {
	for _, tc := range []struct{ url, msg string }{
		{"", ""},
		{"http://127.0.0.1:7780", ""},
		{"https://ports.example.com/portolan", ""},
		{"ftp://x", `server address "ftp://x" is not an http or https URL: want http://HOST:PORT`},
		{"http://[::1", `server address "http://[::1" is not a URL: want http://HOST:PORT`},
		{"http://:7780", `server address "http://:7780" has no host: want http://HOST:PORT`},
		{"http://127.0.0.1:7780/?x=1", `server address "http://127.0.0.1:7780/?x=1" has a query or fragment: want http://HOST:PORT`},
	} {
		err := cmdutil.CheckServerURL(tc.url)
		want := 0
		if tc.msg != "" {
			want = 2
		}
		if cmdutil.ExitCode(err) != want || cmdutil.Message(err) != tc.msg {
			t.Errorf("CheckServerURL(%q): exit %d %q, want %d %q", tc.url, cmdutil.ExitCode(err), cmdutil.Message(err), want, tc.msg)
		}
	}
}
