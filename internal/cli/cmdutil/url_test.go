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
