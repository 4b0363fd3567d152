package iostreams_test

import (
	"os"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/iostreams"
)

func TestColourOnlyWhenEnabled(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	if ios.IsStdoutTTY() || ios.ColorEnabled() {
		t.Fatal("test streams claim a terminal or colour")
	}
	if got := ios.Red("x"); got != "x" {
		t.Fatalf("Red without colour = %q", got)
	}
	ios.SetColorEnabled(true)
	if got := ios.Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Fatalf("Red with colour = %q", got)
	}
	if ios.TerminalWidth() != 80 {
		t.Fatalf("width = %d, want 80", ios.TerminalWidth())
	}
}

func TestSystemOnAPipeHasNoColour(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	old := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = old }()
	ios := iostreams.System()
	if ios.IsStdoutTTY() || ios.ColorEnabled() {
		t.Fatal("a pipe counts as a terminal")
	}
}
