package cmdutil_test

import (
	"testing"
	"unicode"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                "nginx",
		"node\x1b]0;pwned\x07": "node?]0;pwned?",
		"a\x1b[2Jb":            "a?[2Jb",
		"tab\there\nnl":        "tab here nl",
		"c1\u009b31m":          "c1?31m",
		"bidi\u202eevil":       "bidi?evil",
		"bad\xffutf8":          "bad\ufffdutf8",
		"日本語 é":                "日本語 é",
		"del\x7f":              "del?",
	} {
		if got := cmdutil.Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { cmdutil.Sanitize("postgres: writer") }); n != 0 {
		t.Errorf("Sanitize of clean text allocates %v times", n)
	}
}

// FuzzSanitize: no control character, DEL, C1 or bidi control survives, and
// sanitised text is a fixed point.
func FuzzSanitize(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m")
	f.Add("\u009b\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		p := cmdutil.Sanitize(s)
		for _, r := range p {
			if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Bidi_Control, r) {
				t.Fatalf("Sanitize(%q) = %q keeps %U", s, p, r)
			}
		}
		if cmdutil.Sanitize(p) != p {
			t.Fatalf("Sanitize is not idempotent on %q", s)
		}
	})
}
