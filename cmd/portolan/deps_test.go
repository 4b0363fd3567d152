package main

import (
	"os/exec"
	"strings"
	"testing"
)

// Every package linked into portolan runs its init at every start, lookups
// included (bench/know.sh times them against getent). These were measured
// to cost a lookup ~0.1-0.8 ms each and are kept out of the binary: /metrics
// is written by internal/promtext.
func TestNoCostlyInitPackages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/prometheus/", "google.golang.org/protobuf/", "runtime/metrics", "expvar",
			// The MCP SDK (JSON Schema, gob, OAuth types: ~0.8 ms of every
			// start) belongs to cmd/portolan-mcp alone.
			"github.com/modelcontextprotocol/", "github.com/google/jsonschema-go/", "encoding/gob"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("portolan links %s, whose package init every start-up pays", pkg)
			}
		}
	}
}
