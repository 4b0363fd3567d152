// Command gendocs writes the CLI reference from the command tree itself, so
// the reference can never drift from the binary: one Markdown page per verb
// under docs/cli and one man page per verb under docs/man.
//
//	go run ./internal/gendocs        (make docs)
//
// It lives apart from cmd/portolan so that cobra/doc and its Markdown-to-man
// converter are never linked into the binary.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/root"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra/doc"
)

func main() {
	md := flag.String("md", "docs/cli", "directory for the Markdown pages")
	man := flag.String("man", "docs/man", "directory for the man pages")
	flag.Parse()
	if err := run(*md, *man); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(mdDir, manDir string) error {
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(&cmdutil.Factory{IOStreams: ios, Version: "dev"})
	cmd.DisableAutoGenTag = true // no date: the pages are reproducible
	for _, dir := range []string{mdDir, manDir} {
		// Pages of verbs that no longer exist must go too.
		old, _ := filepath.Glob(filepath.Join(dir, "portolan*"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(cmd, mdDir); err != nil {
		return err
	}
	// The pages carry the embedded registry's date, not today's, so that
	// the same tree always generates the same bytes.
	date, err := time.Parse("2006-01-02", registry.Embedded().Updated())
	if err != nil {
		return err
	}
	hdr := &doc.GenManHeader{Title: "PORTOLAN", Section: "1", Date: &date, Source: "portolan", Manual: "portolan manual"}
	return doc.GenManTree(cmd, hdr, manDir)
}
