package root_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// shared are the packages under internal/cli that verbs may import; every
// other directory is one verb, and verbs do not import each other (as in
// gh: what two verbs need lives in a shared package). root assembles them
// and factory builds the binary's Factory.
var shared = map[string]bool{"cmdutil": true, "iostreams": true, "tableprinter": true, "probeutil": true, "killutil": true}

func TestVerbsDoNotImportEachOther(t *testing.T) {
	const prefix = "github.com/portolan-dev/portolan/internal/cli/"
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		name := d.Name()
		if !d.IsDir() || shared[name] || name == "root" || name == "factory" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", name, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				if other, ok := strings.CutPrefix(path, prefix); ok && !shared[strings.SplitN(other, "/", 2)[0]] {
					t.Errorf("verb %s (%s) imports verb %s: move what they share to a shared package", name, filepath.Base(f), other)
				}
			}
		}
	}
}
