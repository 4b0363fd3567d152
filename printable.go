package portolan

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable returns s made safe to print on a terminal: control characters
// (C0, DEL and C1, so no escape sequence and no newline), bidirectional
// overrides and bytes that are not UTF-8 become '?', tabs and newlines a
// space. Process names and command lines come from other users' processes:
// a name such as "\x1b]0;pwned\a" would otherwise retitle the terminal, and
// "\x1b[2J" clear it. Clean text is returned as is, without allocating.
func Printable(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= ' ' && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !printable(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t' || r == '\n':
			b.WriteByte(' ')
		case printable(r, n):
			b.WriteString(s[i : i+n])
		default:
			b.WriteByte('?')
		}
		i += n
	}
	return b.String()
}

func printable(r rune, n int) bool {
	if r == utf8.RuneError && n <= 1 {
		return false
	}
	return !unicode.IsControl(r) && !unicode.Is(unicode.Bidi_Control, r)
}
