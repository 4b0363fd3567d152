// Package tableprinter prints rows as an aligned table with a header for
// people on a terminal, and as tab-separated rows without a header for
// pipes, so scripts get stable fields.
package tableprinter

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/portolan-dev/portolan/internal/cli/iostreams"
)

// flatten keeps a piped cell on one line and inside one field.
var flatten = strings.NewReplacer("\t", " ", "\n", " ")

// Printer collects rows and renders them.
type Printer struct {
	out    io.Writer
	tty    bool
	header []string
	rows   [][]string
}

// New returns a printer for s with the given column headers.
func New(s *iostreams.IOStreams, header ...string) *Printer {
	return &Printer{out: s.Out, tty: s.IsStdoutTTY(), header: header}
}

// AddRow adds one row; missing cells print empty.
func (p *Printer) AddRow(cells ...string) { p.rows = append(p.rows, cells) }

// Len returns the number of rows added.
func (p *Printer) Len() int { return len(p.rows) }

// Render writes the table. On a pipe, tabs and newlines inside cells are
// replaced by spaces so each row stays one line of tab-separated fields.
func (p *Printer) Render() error {
	var b strings.Builder
	if !p.tty {
		for _, r := range p.rows {
			for i, c := range r {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(flatten.Replace(c))
			}
			b.WriteByte('\n')
		}
		_, err := io.WriteString(p.out, b.String())
		return err
	}
	n := len(p.header)
	for _, r := range p.rows {
		n = max(n, len(r))
	}
	w := make([]int, n)
	all := append([][]string{p.header}, p.rows...)
	for _, r := range all {
		for i, c := range r {
			w[i] = max(w[i], visibleLen(c))
		}
	}
	for ri, r := range all {
		if ri == 0 && len(p.header) == 0 {
			continue
		}
		var line strings.Builder
		for i := 0; i < n; i++ {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			if ri == 0 {
				c = strings.ToUpper(c)
			}
			line.WriteString(c)
			if i < n-1 {
				line.WriteString(strings.Repeat(" ", w[i]-visibleLen(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	_, err := io.WriteString(p.out, b.String())
	return err
}

// visibleLen counts runes outside ANSI escape sequences.
func visibleLen(s string) int {
	n, esc := 0, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case esc:
			if r == 'm' {
				esc = false
			}
		case r == 0x1b:
			esc = true
		default:
			n++
		}
	}
	return n
}
