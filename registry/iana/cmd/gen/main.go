// Command gen turns IANA's service-names-port-numbers.xml (gzip-compressed
// or not) into the compact snapshot the registry package embeds. It runs
// from `go generate ./registry`, which reads the release kept in the
// repository:
//
//	go run ./registry/iana/cmd/gen -in registry/iana/testdata/service-names-port-numbers.xml.gz -out registry/iana.snap
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portolan-dev/portolan/registry/iana"
)

func main() {
	in := flag.String("in", "", "IANA XML (or CSV) file to read")
	out := flag.String("out", "", "snapshot file to write")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -in service-names-port-numbers.xml -out iana.snap")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	b, err := iana.Generate(in)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(out))
}
