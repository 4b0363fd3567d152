// Package iostreams carries a command's input and outputs together with what
// they are connected to, so commands print tables and colour for people on a
// terminal and stable plain rows for pipes, and tests can choose either.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"

	"golang.org/x/term"
)

// IOStreams is the standard input and outputs of one command run.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stderrTTY bool
	stdinTTY  bool
	color     bool
	// width measures the terminal when a table first needs it: most runs
	// print no table, or print to a pipe.
	width func() int
}

// System returns the process's streams, detecting terminals with
// golang.org/x/term (a console on Windows, a tty elsewhere; a Windows
// character device such as NUL is not a terminal). Colour is on only when
// stdout is a terminal, NO_COLOR is unset and TERM is not "dumb".
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.stdoutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.stderrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	s.stdinTTY = term.IsTerminal(int(os.Stdin.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	s.color = s.stdoutTTY && !noColor && os.Getenv("TERM") != "dumb"
	out, tty := os.Stdout, s.stdoutTTY
	s.width = sync.OnceValue(func() int {
		if tty {
			if w, _, err := term.GetSize(int(out.Fd())); err == nil && w > 0 {
				return w
			}
		}
		if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
			return c
		}
		return 80
	})
	return s
}

// Test returns streams backed by buffers, as for a pipe: no terminal, no colour.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal (progress goes there only then).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// SetStdoutTTY makes the streams behave as a terminal (tests) or a pipe.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY sets whether stderr counts as a terminal.
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// SetColorEnabled turns colour on or off.
func (s *IOStreams) SetColorEnabled(v bool) { s.color = v }

// ColorEnabled reports whether output may carry ANSI colour.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// SetTerminalWidth fixes the width tables fit into (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = func() int { return w } }

// TerminalWidth is the terminal's width in cells (COLUMNS or 80 when it
// cannot be measured), measured once, on first use.
func (s *IOStreams) TerminalWidth() int {
	if s.width == nil {
		return 80
	}
	if w := s.width(); w > 0 {
		return w
	}
	return 80
}

// ANSI styles, applied only when colour is enabled.
const (
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	yell  = "\x1b[33m"
	cyan  = "\x1b[36m"
	reset = "\x1b[0m"
)

func (s *IOStreams) style(code, t string) string {
	if !s.color || t == "" {
		return t
	}
	return code + t + reset
}

// Bold styles t when colour is on.
func (s *IOStreams) Bold(t string) string { return s.style(bold, t) }

// Dim styles t when colour is on.
func (s *IOStreams) Dim(t string) string { return s.style(dim, t) }

// Red styles t when colour is on.
func (s *IOStreams) Red(t string) string { return s.style(red, t) }

// Green styles t when colour is on.
func (s *IOStreams) Green(t string) string { return s.style(green, t) }

// Yellow styles t when colour is on.
func (s *IOStreams) Yellow(t string) string { return s.style(yell, t) }

// Cyan styles t when colour is on.
func (s *IOStreams) Cyan(t string) string { return s.style(cyan, t) }
