package iostreams_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

func setCols(t *testing.T, f *os.File, cols uint16) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatal(err)
	}
}

// On a terminal the width is the terminal's, measured when a table first
// asks for it (not at start, where most runs never read it): a resize
// between start and the first table is seen.
func TestSystemMeasuresTheTerminalWhenAsked(t *testing.T) {
	_, pts := openPTY(t)
	setCols(t, pts, 100)
	old := os.Stdout
	os.Stdout = pts
	defer func() { os.Stdout = old }()
	t.Setenv("COLUMNS", "")
	ios := iostreams.System()
	if !ios.IsStdoutTTY() {
		t.Fatal("a pseudo-terminal is not taken for a terminal")
	}
	setCols(t, pts, 132)
	if w := ios.TerminalWidth(); w != 132 {
		t.Fatalf("TerminalWidth = %d, want 132 (the width when first asked)", w)
	}
}

// A character device that is not a terminal (/dev/null) is a pipe for
// output purposes: no table header, no colour.
func TestSystemDevNullIsNotATerminal(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	old := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = old }()
	if iostreams.System().IsStdoutTTY() {
		t.Fatal("/dev/null counts as a terminal")
	}
}
