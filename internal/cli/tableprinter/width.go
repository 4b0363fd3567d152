package tableprinter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// RuneWidth is the number of terminal cells r takes: 0 for combining marks
// and format characters, 2 for East Asian wide and fullwidth characters and
// emoji, 1 otherwise. It covers what process names, labels and IANA
// descriptions contain; a full Unicode width table would be a dependency
// for the rest.
func RuneWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf), r >= 0xfe00 && r <= 0xfe0f:
		return 0
	case r >= 0x1100 && r <= 0x115f, // Hangul Jamo initials
		r >= 0x2e80 && r <= 0xa4cf && r != 0x303f, // CJK radicals .. Yi
		r >= 0xac00 && r <= 0xd7a3,                // Hangul syllables
		r >= 0xf900 && r <= 0xfaff,                // CJK compatibility ideographs
		r >= 0xfe30 && r <= 0xfe4f,                // CJK compatibility forms
		r >= 0xff00 && r <= 0xff60,                // fullwidth forms
		r >= 0xffe0 && r <= 0xffe6,
		r >= 0x1f300 && r <= 0x1f64f, // pictographs, emoticons
		r >= 0x1f680 && r <= 0x1f6ff, // transport and map symbols
		r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd: // CJK extensions
		return 2
	}
	return 1
}

// Width is the number of terminal cells s takes, ANSI SGR sequences (the
// colours IOStreams adds) not counted.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if l := sgrLen(s[i:]); l > 0 {
			i += l
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += RuneWidth(r)
		i += size
	}
	return n
}

// Truncate cuts s to at most w cells, ending it with "…" when it cut. A
// colour open at the cut is reset.
func Truncate(s string, w int) string {
	if Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	n, styled := 0, false
	for i := 0; i < len(s); {
		if l := sgrLen(s[i:]); l > 0 {
			b.WriteString(s[i : i+l])
			styled = true
			i += l
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		rw := RuneWidth(r)
		if n+rw > w-1 {
			break
		}
		b.WriteString(s[i : i+size])
		n += rw
		i += size
	}
	b.WriteString("…")
	if styled {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}

// sgrLen is the length of the colour sequence s starts with, or 0. Only
// the sequences IOStreams writes count: anything else in a cell is text
// to sanitise, so a hostile name cannot smuggle other escapes in.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	end := strings.IndexByte(s[:min(len(s), 6)], 'm')
	if end < 0 {
		return 0
	}
	switch s[2:end] {
	case "0", "1", "2", "31", "32", "33", "36":
		return end + 1
	}
	return 0
}
