package ls

import (
	"bufio"
	"context"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
)

// ExposureEntry is a row of `ls --exposure --json`: the ls row with how far
// the listener reaches and the firewall's verdict.
type ExposureEntry struct {
	Entry
	Scope    string         `json:"scope"`
	Reach    portolan.Reach `json:"reach"`
	Firewall string         `json:"firewall,omitempty"`
	Rule     string         `json:"firewall_rule,omitempty"`
}

// renderExposure prints the sockets with the exposure column: the reach
// (loopback, lan, all) and, beyond loopback, "fw: allow|deny|docker-dnat|unknown".
func (o *Options) renderExposure(ctx context.Context, socks []portolan.Socket, names *serviceNames) error {
	exps := cmdutil.Exposures(ctx, socks, o.rules)
	if o.JSON {
		rows := make([]ExposureEntry, len(socks))
		for i := range socks {
			e := exps[i]
			rows[i] = ExposureEntry{Entry: toEntry(&socks[i], names), Scope: e.Scope, Reach: e.Reach, Firewall: e.Firewall, Rule: e.Rule}
		}
		return cmdutil.WriteJSON(o.IO, rows)
	}
	wide := o.wide()
	if !o.IO.IsStdoutTTY() {
		return o.plainExposure(socks, names, exps, wide)
	}
	h := header(wide)
	t := tableprinter.New(o.IO, append(h[:3:3], append([]string{"exposure"}, h[3:]...)...)...)
	if wide { // as ls's table, one column further right
		t.Flexible(7, 9, 10)
	} else {
		t.Flexible(5, 7, 8)
	}
	for i := range socks {
		r := toRow(&socks[i], names)
		r.Process, r.User = cmdutil.Sanitize(r.Process), cmdutil.Sanitize(r.User)
		c := cells(r, wide)
		t.AddRow(append(c[:3:3], append([]string{ExposureText(exps[i])}, c[3:]...)...)...)
	}
	if len(socks) == 0 {
		return nil
	}
	return t.Render()
}

// ExposureText is the exposure column: "loopback", or "lan, fw: deny".
func ExposureText(e portolan.Exposure) string {
	if e.Firewall == "" {
		return string(e.Reach)
	}
	return string(e.Reach) + ", fw: " + e.Firewall
}

// plainExposure writes the pipe format, as renderPlain does, with the
// exposure cell after the port.
func (o *Options) plainExposure(socks []portolan.Socket, names *serviceNames, exps []portolan.Exposure, wide bool) error {
	w := bufio.NewWriterSize(o.IO.Out, 64<<10)
	var b []byte
	for i := range socks {
		b = appendPlain(b[:0], &socks[i], names, wide)
		cut := 0
		for n := 0; n < 3 && cut < len(b); cut++ {
			if b[cut] == '\t' {
				n++
			}
		}
		w.Write(b[:cut])
		w.WriteString(ExposureText(exps[i]))
		w.WriteByte('\t')
		if _, err := w.Write(b[cut:]); err != nil {
			return err
		}
	}
	return w.Flush()
}
