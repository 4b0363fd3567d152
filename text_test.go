package portolan

import (
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"", "payments team", "café ☕"} {
		if err := CheckText("owner", ok, 64); err != nil {
			t.Errorf("CheckText(%q) = %v", ok, err)
		}
	}
	for v, want := range map[string]string{
		strings.Repeat("x", 65): "owner is 65 bytes long: want at most 64",
		"a\tb":                  "owner has a control character (U+0009 at byte 1): want printable text on one line",
		"a\nb":                  "owner has a control character (U+000A at byte 1)",
		"\x1b[2J":               "owner has a control character (U+001B at byte 0)",
		"nul\x00":               "owner has a control character (U+0000 at byte 3)",
		"\u0085next":            "owner has a control character (U+0085",
		"caf\xe9":               "owner is not valid UTF-8: want printable text",
	} {
		err := CheckText("owner", v, 64)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), want) {
			t.Errorf("CheckText(%q) = %v, want EINVALID %q", v, err, want)
		}
	}
}
