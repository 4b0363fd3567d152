package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// TestHostFromFakeProc: hostFrom reads the three files under a fake /proc
// as Host reads the real one, and says when it fell back to the defaults.
func TestHostFromFakeProc(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if h, err := hostFrom(dir); err != nil || !h.Defaults || h.Ephemeral != (portolan.Range{Lo: 32768, Hi: 60999}) || !strings.Contains(h.Source, "default") {
		t.Errorf("no proc files: %+v %v; want defaults that say so", h, err)
	}
	write(procPortRange, "40000 50000\n")
	write(procReserved, "45000-45010,8080\n")
	write(procUnprivStart, "80\n")
	h, err := hostFrom(dir)
	if err != nil || h.Defaults || h.Ephemeral != (portolan.Range{Lo: 40000, Hi: 50000}) || h.UnprivilegedStart != 80 || !h.InReserved(45005) || h.InReserved(45011) || !h.InEphemeral(40000) {
		t.Errorf("fake proc: %+v %v", h, err)
	}
	write(procPortRange, "garbage\n")
	if _, err := hostFrom(dir); err == nil {
		t.Error("garbage port range accepted")
	}
}
