package portolan

import "testing"

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":             "nginx",
		"café ☕":            "café ☕",
		"a\tb\nc":           "a b c",
		"\x1b]0;title\a":    "?]0;title?",
		"\x1b[2J":           "?[2J",
		"c1 \u009b31m":      "c1 ?31m",
		"bad \xff\xfe utf8": "bad ?? utf8",
		"rtl \u202egnp.exe": "rtl ?gnp.exe",
		"del \x7f":          "del ?",
		"":                  "",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q; want %q", in, got, want)
		}
	}
	clean := "postgres: checkpointer"
	if n := testing.AllocsPerRun(100, func() { Printable(clean) }); n != 0 {
		t.Errorf("Printable of clean text allocates %v times", n)
	}
}

func FuzzPrintable(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m")
	f.Add("\u009b\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		p := Printable(s)
		for _, r := range p {
			if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd && !containsRuneError(s) {
				t.Fatalf("Printable(%q) = %q keeps %U", s, p, r)
			}
		}
		if Printable(p) != p {
			t.Fatalf("Printable is not idempotent on %q", s)
		}
	})
}

func containsRuneError(s string) bool {
	for _, r := range s {
		if r == 0xfffd {
			return true
		}
	}
	return false
}
