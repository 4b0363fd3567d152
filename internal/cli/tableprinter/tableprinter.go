// Package tableprinter prints rows as an aligned table with a header for
// people on a terminal, and as tab-separated rows without a header for
// pipes, so scripts get stable fields.
package tableprinter

import (
	"io"
	"slices"
	"strings"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
)

// Printer collects rows and renders them.
type Printer struct {
	out      io.Writer
	tty      bool
	width    func() int
	header   []string
	rows     [][]string
	flexible []int
	omit     bool
}

// New returns a printer for s with the given column headers.
func New(s *iostreams.IOStreams, header ...string) *Printer {
	return &Printer{out: s.Out, tty: s.IsStdoutTTY(), width: s.TerminalWidth, header: header}
}

// AddRow adds one row; missing cells print empty.
func (p *Printer) AddRow(cells ...string) { p.rows = append(p.rows, cells) }

// Len returns the number of rows added.
func (p *Printer) Len() int { return len(p.rows) }

// Flexible names the free-text columns (by index) that are cut short, with
// "…", when the table is wider than the terminal; the rightmost is cut
// first. Without it the last column is the flexible one.
func (p *Printer) Flexible(cols ...int) { p.flexible = cols }

// OmitEmptyColumns leaves out, on a terminal, the columns no row has
// anything in (a registry record's missing dates), so that the columns
// that do say something are not cut for them. Pipes keep every field.
func (p *Printer) OmitEmptyColumns() { p.omit = true }

// dropEmpty projects the header, rows and flexible columns onto the
// columns some row fills.
func (p *Printer) dropEmpty() {
	if len(p.rows) == 0 {
		return
	}
	n := len(p.header)
	for _, r := range p.rows {
		n = max(n, len(r))
	}
	var keep []int
	for i := range n {
		for _, r := range p.rows {
			if i < len(r) && strings.TrimSpace(r[i]) != "" {
				keep = append(keep, i)
				break
			}
		}
	}
	project := func(r []string) []string {
		out := make([]string, 0, len(keep))
		for _, i := range keep {
			if i < len(r) {
				out = append(out, r[i])
			} else {
				out = append(out, "")
			}
		}
		return out
	}
	if len(p.header) > 0 {
		p.header = project(p.header)
	}
	rows := make([][]string, len(p.rows))
	for i, r := range p.rows {
		rows[i] = project(r)
	}
	p.rows = rows
	var flex []int
	for _, f := range p.flexible {
		if j := slices.Index(keep, f); j >= 0 {
			flex = append(flex, j)
		}
	}
	if len(p.flexible) > 0 && len(flex) == 0 {
		flex = []int{len(keep) - 1}
	}
	p.flexible = flex
}

// Render writes the table. Every cell is sanitised (cmdutil.Sanitize; the
// colours IOStreams adds are kept): cells carry text other users control.
// On a pipe each row is one line of tab-separated fields; on a terminal
// the columns are aligned by display cells and the table is fitted to the
// terminal's width by cutting the flexible columns, never wrapped.
func (p *Printer) Render() error {
	var b strings.Builder
	if !p.tty {
		for _, r := range p.rows {
			for i, c := range r {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(clean(c))
			}
			b.WriteByte('\n')
		}
		_, err := io.WriteString(p.out, b.String())
		return err
	}
	if p.omit {
		p.dropEmpty()
	}
	n := len(p.header)
	for _, r := range p.rows {
		n = max(n, len(r))
	}
	all := make([][]string, 0, len(p.rows)+1)
	if len(p.header) > 0 {
		h := make([]string, len(p.header))
		for i, c := range p.header {
			h[i] = strings.ToUpper(clean(c))
		}
		all = append(all, h)
	}
	for _, r := range p.rows {
		c := make([]string, n)
		for i := range r {
			c[i] = clean(r[i])
		}
		all = append(all, c)
	}
	w := make([]int, n)
	for _, r := range all {
		for i, c := range r {
			w[i] = max(w[i], Width(c))
		}
	}
	p.fit(w)
	for _, r := range all {
		var line strings.Builder
		for i := 0; i < n; i++ {
			c := ""
			if i < len(r) {
				c = Truncate(r[i], w[i])
			}
			line.WriteString(c)
			if i < n-1 {
				line.WriteString(strings.Repeat(" ", w[i]-Width(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	_, err := io.WriteString(p.out, b.String())
	return err
}

// minFlexible is the narrowest a flexible column is cut to while that is
// enough; minCut (three cells and "…") when it is not.
const (
	minFlexible = 8
	minCut      = 4
)

// fit narrows the flexible columns, rightmost first, until the table fits
// the terminal: to minFlexible, then, if the table is still too wide, to
// minCut. Columns that are not flexible (addresses, ports) are never cut.
func (p *Printer) fit(w []int) {
	if len(w) == 0 || p.width == nil {
		return
	}
	total := 2 * (len(w) - 1)
	for _, x := range w {
		total += x
	}
	over := total - p.width()
	flex := p.flexible
	if len(flex) == 0 {
		flex = []int{len(w) - 1}
	}
	for _, floor := range []int{minFlexible, minCut} {
		for i := len(flex) - 1; i >= 0 && over > 0; i-- {
			c := flex[i]
			if c < 0 || c >= len(w) || w[c] <= floor {
				continue
			}
			cut := min(over, w[c]-floor)
			w[c] -= cut
			over -= cut
		}
	}
}

// clean sanitises a cell but keeps the SGR colour sequences IOStreams put
// there.
func clean(s string) string {
	if !strings.Contains(s, "\x1b[") {
		return cmdutil.Sanitize(s)
	}
	var b strings.Builder
	start := 0
	for i := 0; i < len(s); {
		if l := sgrLen(s[i:]); l > 0 {
			b.WriteString(cmdutil.Sanitize(s[start:i]))
			b.WriteString(s[i : i+l])
			i += l
			start = i
			continue
		}
		i++
	}
	b.WriteString(cmdutil.Sanitize(s[start:]))
	return b.String()
}

// Dash is s, or "-" for an empty cell, so that a pipe's fields stay
// counted (a tab-separated row with an empty field reads as one fewer).
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
