package ls

import (
	"bufio"
	"context"
	"fmt"
	"strconv"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/holder"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/sockets"
)

// render prints the sockets: JSON rows, an aligned table with a header on
// a terminal, or tab-separated rows without a header on a pipe.
func (o *Options) render(socks []portolan.Socket, names *serviceNames) error {
	if o.JSON || o.IO.IsStdoutTTY() {
		o.annotate(socks)
	}
	switch {
	case o.Exposure:
		return o.renderExposure(context.Background(), socks, names)
	case o.JSON:
		rows := make([]Entry, len(socks))
		for i := range socks {
			rows[i] = toEntry(&socks[i], names)
		}
		return cmdutil.WriteJSON(o.IO, rows)
	case o.IO.IsStdoutTTY():
		return o.renderTable(socks, names)
	}
	return o.renderPlain(socks, names)
}

// renderTable prints through the shared table printer, for people.
func (o *Options) renderTable(socks []portolan.Socket, names *serviceNames) error {
	wide := o.wide()
	withOwner := false
	for i := range socks {
		if socks[i].Owner != nil && socks[i].Owner.Holder != nil && holder.Label(*socks[i].Owner.Holder) != "" {
			withOwner = true
			break
		}
	}
	head := header(wide)
	if withOwner {
		head = append(head, "owner")
	}
	if o.multiNS {
		head = append(head, "netns")
	}
	t := tableprinter.New(o.IO, head...)
	if wide {
		t.Flexible(6, 8, 9, 10) // service, process, user and owner give way, addresses never
	} else {
		t.Flexible(4, 6, 7, 8)
	}
	common := false
	for i := range socks {
		r := toRow(&socks[i], names)
		r.Process, r.User = cmdutil.Sanitize(r.Process), cmdutil.Sanitize(r.User)
		common = common || r.ServiceSource == "common"
		c := cells(r, wide)
		if withOwner {
			label := "-"
			if ow := socks[i].Owner; ow != nil && ow.Holder != nil {
				label = tableprinter.Dash(cmdutil.Sanitize(holder.Label(*ow.Holder)))
			}
			c = append(c, label)
		}
		if o.multiNS {
			c = append(c, cmdutil.Sanitize(socks[i].NetNS.Label()))
		}
		if o.fresh[socketKey(&socks[i])] {
			for j := range c {
				c[j] = o.IO.Green(o.IO.Bold(c[j]))
			}
		}
		t.AddRow(c...)
	}
	if len(socks) == 0 && !o.Watch {
		return nil // nothing to head: "no sockets match" says it
	}
	if err := t.Render(); err != nil {
		return err
	}
	if common {
		_, err := fmt.Fprintln(o.IO.Out, o.IO.Dim("* a common use of the port, not an IANA assignment"))
		return err
	}
	return nil
}

// renderPlain writes the table printer's pipe format (the same cells,
// tab-separated, no header) straight from the sockets: ls -a prints ten
// thousand rows in the benchmark, and building strings per cell would
// cost more than reading the socket table.
func (o *Options) renderPlain(socks []portolan.Socket, names *serviceNames) error {
	w := bufio.NewWriterSize(o.IO.Out, 64<<10)
	wide := o.wide()
	var b []byte
	for i := range socks {
		b = appendPlain(b[:0], &socks[i], names, wide)
		if o.multiNS { // the namespace is the last cell
			b = append(b[:len(b)-1], '\t')
			b = cmdutil.AppendSanitized(b, socks[i].NetNS.Label())
			b = append(b, '\n')
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.Flush()
}

// appendPlain appends one row as cells would print it.
func appendPlain(b []byte, s *portolan.Socket, names *serviceNames, wide bool) []byte {
	p := portolan.Port(s.Local.Port())
	b = append(b, s.Proto.String()...)
	b = append(b, '\t')
	b = s.Local.Addr().AppendTo(b)
	b = append(b, '\t')
	b = strconv.AppendUint(b, uint64(p), 10)
	if wide {
		b = append(b, '\t')
		if s.Remote.IsValid() {
			b = s.Remote.AppendTo(b)
		} else {
			b = append(b, '-')
		}
		b = append(b, '\t')
		b = append(b, s.State...)
	}
	b = append(b, '\t')
	b = append(b, portolan.ClassOf(p).String()...)
	b = append(b, '\t')
	svc := names.lookup(p, s.Proto)
	if svc.name == "" {
		b = append(b, '-')
	} else {
		b = cmdutil.AppendSanitized(b, svc.name)
		if svc.source == "common" {
			b = append(b, '*')
		}
	}
	b = append(b, '\t')
	switch {
	case s.Owner != nil:
		b = strconv.AppendInt(b, int64(s.Owner.PID), 10)
		b = append(b, '\t')
		b = cmdutil.AppendSanitized(b, tableprinter.Dash(s.Owner.Name))
		b = append(b, '\t')
		b = cmdutil.AppendSanitized(b, tableprinter.Dash(s.Owner.User))
	case s.Hidden:
		b = append(b, "hidden\thidden\t"...)
		b = cmdutil.AppendSanitized(b, sockets.UserName(s.UID))
	case s.Inode != 0:
		b = append(b, "-\t-\t"...)
		b = cmdutil.AppendSanitized(b, sockets.UserName(s.UID))
	default:
		b = append(b, "-\t-\t-"...)
	}
	return append(b, '\n')
}

// annotate works out, once per process, what each socket's owner is (its
// container, unit, supervisor, checkout): the OWNER column and --json's
// owner.holder. Piped rows keep their fields.
func annotate(socks []portolan.Socket) { holder.Annotate(socks, holder.Options{}) }
