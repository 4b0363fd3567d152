package portolan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadHostRangesFakeProc: the reader takes the three files under a
// proc root, and says when it fell back to the defaults.
func TestReadHostRangesFakeProc(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if h, err := readHostRanges(dir); err != nil || !h.Defaults || h.Ephemeral != (Range{Lo: 32768, Hi: 60999}) || !strings.Contains(h.Source, "default") {
		t.Errorf("no proc files: %+v %v; want the Linux defaults that say so", h, err)
	}
	write(procPortRange, "40000 50000\n")
	write(procReserved, "45000-45010,8080\n")
	write(procUnprivStart, "80\n")
	h, err := readHostRanges(dir)
	if err != nil || h.Defaults || h.Ephemeral != (Range{Lo: 40000, Hi: 50000}) || h.UnprivilegedStart != 80 || !h.InReserved(45005) || h.InReserved(45011) || !h.InEphemeral(40000) {
		t.Errorf("fake proc: %+v %v", h, err)
	}
	if !strings.Contains(h.Source, procReserved) {
		t.Errorf("source %q", h.Source)
	}
	write(procPortRange, "garbage\n")
	if h, err := readHostRanges(dir); err == nil || !h.Defaults || h.Ephemeral != (Range{Lo: 32768, Hi: 60999}) {
		t.Errorf("garbage port range: %+v %v; want an error and the defaults", h, err)
	}
}

// TestReadHostRangesPerNetns: the ranges are per network namespace; in a
// new one with its own ip_local_port_range and reserved ports, the reader
// (run in a child process there) sees those. Needs root and unshare(1).
func TestReadHostRangesPerNetns(t *testing.T) {
	if os.Getenv("PORTOLAN_HOSTRANGES_CHILD") == "1" {
		h, err := ReadHostRanges()
		if err != nil || h.Defaults || h.Ephemeral != (Range{Lo: 40000, Hi: 40999}) || len(h.Reserved) != 1 || h.Reserved[0] != (Range{Lo: 40100, Hi: 40110}) {
			t.Fatalf("in the new namespace: %+v %v", h, err)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	script := `echo "40000 40999" > /proc/sys/net/ipv4/ip_local_port_range && echo 40100-40110 > /proc/sys/net/ipv4/ip_local_reserved_ports && exec "$0" -test.run='^TestReadHostRangesPerNetns$' -test.v`
	cmd := exec.Command("unshare", "--net", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(), "PORTOLAN_HOSTRANGES_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child in a new network namespace: %v\n%s", err, out)
	}
	// This namespace is untouched.
	if h, _ := ReadHostRanges(); h.Ephemeral == (Range{Lo: 40000, Hi: 40999}) {
		t.Error("the test changed this namespace's range")
	}
}
