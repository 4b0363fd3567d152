package tableprinter_test

import (
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
)

func TestPipeRowsHaveNoHeaderAndOneLineEach(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	tp := tableprinter.New(ios, "port", "name")
	tp.AddRow("80", "http")
	tp.AddRow("6000-6063", "x11\twith\ttabs\nand a newline")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	want := "80\thttp\n6000-6063\tx11 with tabs and a newline\n"
	if out.String() != want {
		t.Fatalf("piped table =\n%q\nwant\n%q", out.String(), want)
	}
}

func TestTerminalTableAlignsAndIgnoresColour(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetColorEnabled(true)
	tp := tableprinter.New(ios, "port", "name", "note")
	tp.AddRow("80", ios.Green("http"), "")
	tp.AddRow("65535", "x", "last")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	want := "PORT   NAME  NOTE\n" +
		"80     \x1b[32mhttp\x1b[0m\n" +
		"65535  x     last\n"
	if out.String() != want {
		t.Fatalf("terminal table =\n%q\nwant\n%q", out.String(), want)
	}
}
