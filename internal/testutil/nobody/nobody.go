// Package nobody runs a test binary as an unprivileged user (uid 65534, no
// capabilities), for tests that check what a user without root sees or is
// told.
package nobody

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// UID is the unprivileged user's uid, and its gid.
const UID = 65534

// Setpriv returns the command prefix that drops to uid/gid 65534 with no
// supplementary groups and no inheritable capabilities. It skips when
// setpriv is missing.
func Setpriv(t testing.TB) []string {
	t.Helper()
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	return []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"}
}

// Exe copies the running test binary, as name, to a directory uid 65534
// may enter (go test builds into one only its user can) and returns its
// path.
func Exe(t testing.TB, name string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil { // t.TempDir's parent is private too
			t.Fatal(err)
		}
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	exe := filepath.Join(dir, name)
	out, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return exe
}
