package portolan

import (
	"unicode"
	"unicode/utf8"
)

// CheckText checks a free-text field a person typed (an owner, a note, a
// lease label): at most max bytes of UTF-8 without control characters. The
// fields are printed in tables, exports and terminals, where a NUL, an
// escape sequence or a newline would forge or break the output.
func CheckText(field, v string, max int) error {
	if len(v) > max {
		return Errorf(EINVALID, "%s is %d bytes long: want at most %d", field, len(v), max)
	}
	if !utf8.ValidString(v) {
		return Errorf(EINVALID, "%s is not valid UTF-8: want printable text", field)
	}
	for i, r := range v {
		if unicode.IsControl(r) {
			return Errorf(EINVALID, "%s has a control character (%U at byte %d): want printable text on one line", field, r, i)
		}
	}
	return nil
}
