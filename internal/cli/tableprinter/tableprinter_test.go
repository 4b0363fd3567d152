package tableprinter_test

import (
	"strings"
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

// Cells carry other users' text: escape sequences in them print inert, on a
// terminal and on a pipe, while the program's own colours stay.
func TestCellsAreSanitised(t *testing.T) {
	for _, tty := range []bool{true, false} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		ios.SetColorEnabled(true)
		tp := tableprinter.New(ios, "name", "note")
		tp.AddRow(ios.Green("ok"), "evil\x1b]0;title\x07\x1b[2J\x1b[8m")
		if err := tp.Render(); err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(strings.ReplaceAll(out.String(), "\x1b[32m", ""), "\x1b[0m", "")
		if strings.ContainsAny(s, "\x1b\x07") || !strings.Contains(out.String(), "\x1b[32mok\x1b[0m") {
			t.Errorf("tty=%v: %q", tty, out.String())
		}
	}
}

// Widths count terminal cells: wide CJK characters take two, combining
// marks none, so columns after them stay aligned.
func TestWidthsCountCells(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "日本": 4, "e\u0301": 1, "\x1b[32mok\x1b[0m": 2, "한국어": 6, "🚀": 2, "": 0} {
		if got := tableprinter.Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	tp := tableprinter.New(ios, "name", "port")
	tp.AddRow("日本語", "1")
	tp.AddRow("cafe\u0301", "2")
	tp.AddRow("abcdef", "3")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	want := "NAME    PORT\n日本語  1\ncafe\u0301    2\nabcdef  3\n"
	if out.String() != want {
		t.Errorf("table =\n%s\nwant\n%s", out.String(), want)
	}
}

// A table wider than the terminal cuts its free-text column with "…"
// instead of letting the terminal wrap every line.
func TestTableFitsTheTerminal(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(40)
	tp := tableprinter.New(ios, "port", "name", "description", "pid")
	tp.Flexible(2)
	tp.AddRow("443", "https", strings.Repeat("a long description ", 10), "1")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if w := tableprinter.Width(l); w > 40 {
			t.Errorf("line %q is %d cells wide, want at most 40", l, w)
		}
	}
	if !strings.Contains(out.String(), "…  1") {
		t.Errorf("the description is not cut with …:\n%s", out.String())
	}
	// A pipe gets every byte.
	ios.SetStdoutTTY(false)
	out.Reset()
	tp = tableprinter.New(ios, "port", "name", "description", "pid")
	tp.AddRow("443", "https", strings.Repeat("a long description ", 10), "1")
	tp.Render()
	if !strings.Contains(out.String(), strings.Repeat("a long description ", 10)) {
		t.Errorf("piped row was cut: %q", out.String())
	}
}

// When cutting every flexible column to eight cells is not enough, they
// are cut further (to three cells and "…") before any line wraps.
func TestTableCutsFurtherBeforeWrapping(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(40)
	tp := tableprinter.New(ios, "proto", "local address", "port", "process", "user")
	tp.Flexible(3, 4)
	tp.AddRow("tcp", "0.0.0.0", "2024", "python3.11-server", "postgres-admin")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if w := tableprinter.Width(l); w > 40 {
			t.Errorf("line %q is %d cells wide, want at most 40:\n%s", l, w, out)
		}
	}
	if !strings.Contains(out.String(), "0.0.0.0        2024") {
		t.Errorf("a column that is not flexible was cut:\n%s", out)
	}
}

// OmitEmptyColumns leaves out, on a terminal, the columns no row fills, so
// that a filled flexible column keeps its text; a pipe keeps every field.
func TestOmitEmptyColumns(t *testing.T) {
	render := func(tty bool) string {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tty)
		ios.SetTerminalWidth(30)
		tp := tableprinter.New(ios, "name", "refs", "description", "updated")
		tp.Flexible(1, 2)
		tp.OmitEmptyColumns()
		tp.AddRow("hbci", "", "Home Banking Computer Interface", "")
		tp.AddRow("remoteware-cl", " ", "RemoteWare Client", "")
		if err := tp.Render(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	want := "NAME           DESCRIPTION\n" +
		"hbci           Home Banking C…\n" +
		"remoteware-cl  RemoteWare Cli…\n"
	if got := render(true); got != want {
		t.Errorf("terminal table =\n%q\nwant\n%q", got, want)
	}
	if got := render(false); got != "hbci\t\tHome Banking Computer Interface\t\nremoteware-cl\t \tRemoteWare Client\t\n" {
		t.Errorf("piped rows = %q; want every field", got)
	}
}
