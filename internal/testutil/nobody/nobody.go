// Package nobody runs a test binary as an unprivileged user (uid 65534, no
// capabilities) through setpriv, for tests that check what a user without
// root is told.
package nobody

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Prefix is the command prefix that drops to uid/gid 65534 with no
// supplementary groups and no inheritable capabilities.
var Prefix = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"}

// Exe copies the running test binary to a directory uid 65534 may enter and
// returns its path (named name). It skips when setpriv is missing.
func Exe(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	self, _ := os.Executable()
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, name)
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}
