package cmdutil

import (
	"unicode/utf8"
)

// Sanitize returns s safe to print on a terminal: text other users control
// (process names, command lines, labels, answers of remote servers) must not
// move the cursor, set the window title or recolour what follows. C0 and
// C1 control characters, DEL and the bidirectional-text controls print as
// '?', tab and newline as a space (so a cell stays one line), and invalid
// UTF-8 as U+FFFD. Clean text is returned as is, without allocating.
func Sanitize(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, size) {
			return string(AppendSanitized(make([]byte, 0, len(s)+8), s))
		}
		i += size
	}
	return s
}

// AppendSanitized appends Sanitize(s) to b.
func AppendSanitized(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t' || r == '\n':
			b = append(b, ' ')
		case r == utf8.RuneError && size == 1:
			b = utf8.AppendRune(b, utf8.RuneError)
		case unsafeRune(r, size):
			b = append(b, '?')
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// unsafeRune reports whether r must not reach a terminal as is.
func unsafeRune(r rune, size int) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r == utf8.RuneError && size == 1:
		return true
	case r >= 0x80 && r <= 0x9f: // C1: U+009B is a one-rune CSI on some terminals
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidi embeddings, overrides and isolates reorder what follows
	}
	return false
}

// SanitizeArgs returns argv with every argument sanitised.
func SanitizeArgs(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = Sanitize(a)
	}
	return out
}
