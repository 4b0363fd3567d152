package iana

import (
	"strings"
	"testing"
)

// lowerASCII is the byte-at-a-time reference for lower8 and equalFoldASCII.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// loadTail reads what le64 would, padded with zeros.
func TestLoadTail(t *testing.T) {
	s := "\x01\x02\x03\x04\x05\x06\x07"
	for n := 1; n <= 7; n++ {
		want := le64(s[:n] + "\x00\x00\x00\x00\x00\x00\x00")
		if got := loadTail(s[:n]); got != want {
			t.Errorf("loadTail(%q) = %#x, want %#x", s[:n], got, want)
		}
	}
}

// lower8 agrees with the reference on every byte value in every lane.
func TestLower8EveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for lane := 0; lane < 8; lane++ {
			x := uint64(c) << (8 * lane)
			want := uint64(lowerASCII(string([]byte{byte(c)}))[0]) << (8 * lane)
			if got := lower8(x); got != want {
				t.Fatalf("lower8(%#x) = %#x, want %#x", x, got, want)
			}
		}
	}
	// Neighbours do not leak into each other (carries stay in their byte).
	s := "@AZ[`az{\x80\xc1\xda\xff"
	for i := 0; i+8 <= len(s); i++ {
		if got, want := lower8(le64(s[i:])), le64(lowerASCII(s)[i:]); got != want {
			t.Errorf("lower8(%q) = %#x, want %#x", s[i:i+8], got, want)
		}
	}
}

func FuzzNameFold(f *testing.F) {
	for _, s := range []string{"", "a", "XmlIpcRegSvc", "xmlipcregsvc", "www-http", "WWW-HTTP", "0123456789abcdef", "\xc3\x84rger", "[@`{"} {
		f.Add(s, strings.ToUpper(s))
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		la := lowerASCII(a)
		if got, want := equalFoldASCII(la, b), la == lowerASCII(b); got != want {
			t.Fatalf("equalFoldASCII(%q, %q) = %v, want %v", la, b, got, want)
		}
		if lowerASCII(a) == lowerASCII(b) && nameHash(a) != nameHash(b) {
			t.Fatalf("nameHash(%q) != nameHash(%q), yet they fold equal", a, b)
		}
		if got, want := nameHash(a), nameHash(la); got != want {
			t.Fatalf("nameHash(%q) = %#x, nameHash(%q) = %#x", a, got, la, want)
		}
	})
}
