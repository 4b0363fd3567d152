// Package ianatest reads the IANA registry releases kept gzipped in
// registry/iana/testdata, for the parser's tests and the registry verb's.
package ianatest

import (
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// Gunzip returns the inflated bytes of the gzip file at path.
func Gunzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
