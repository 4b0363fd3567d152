package netns

import "testing"

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`/run/netns/a`:           "/run/netns/a",
		`/run/my\040dir/netns/b`: "/run/my dir/netns/b",
		`/x\134y`:                `/x\y`,
		`/trailing\04`:           `/trailing\04`,
		`/bad\999`:               `/bad\999`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
