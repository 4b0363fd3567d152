package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// TestOwnPackagesInitCheaply: portolan's own packages initialise almost
// nothing at start (a package-level regexp.MustCompile of `{0,127}` once cost
// 1,700 allocations and ~0.5 ms of every start): whatever is bigger is
// built on first use instead (sync.OnceValue, a hand-written check).
func TestOwnPackagesInitCheaply(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	bin := filepath.Join(t.TempDir(), "portolan")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("portolan --version: %v\n%s", err, out)
	}
	seen := 0
	for line := range strings.Lines(string(out)) {
		// init PKG @0.5 ms, 0.01 ms clock, 1240 bytes, 4 allocs
		f := strings.Fields(line)
		if len(f) != 11 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/portolan-dev/portolan") {
			continue
		}
		seen++
		bytes, _ := strconv.Atoi(f[7])
		allocs, _ := strconv.Atoi(f[9])
		if bytes > 16<<10 || allocs > 64 {
			t.Errorf("package %s allocates %d bytes in %d allocations at every start; build it on first use", f[1], bytes, allocs)
		}
	}
	if seen == 0 {
		t.Fatalf("no init line for portolan's packages in:\n%s", out)
	}
}
