package query

import (
	"fmt"
	goio "io"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/holder"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
)

func personText(p *portolan.Person) string {
	if p == nil {
		return ""
	}
	switch {
	case p.Name != "":
		return p.Name
	case p.Org != "":
		return p.Org
	}
	return p.ID
}

func refsText(refs []portolan.Ref) string {
	var out []string
	for _, r := range refs {
		if r.Type != "person" {
			out = append(out, r.Data)
		}
	}
	return strings.Join(out, " ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// renderTTY prints sections for people. Text from other processes and from
// the stores (process names, users, labels, notes) goes through
// cmdutil.Sanitize: it may hold escape sequences.
func renderTTY(io *iostreams.IOStreams, w goio.Writer, r *portolan.Answer) error {
	title := r.Query
	if r.Class != nil {
		title = fmt.Sprintf("%s  %s port (%s, %s)", r.Query, r.Class.Class, strings.Join(r.Class.Names, "/"), r.Class.Range)
	}
	fmt.Fprintln(w, io.Bold(title))
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s %s\n", io.Bold("IANA"), io.Dim("(registry of "+r.RegistryUpdated+")"))
	if len(r.Records) == 0 {
		fmt.Fprintln(w, "  no record")
	} else {
		t := tableprinter.New(io, "name", "proto", "ports", "status", "description", "assignee", "refs", "registered", "updated")
		t.Flexible(4, 5, 6) // description, assignee and references give way; names, ports and dates never
		t.OmitEmptyColumns()
		for _, s := range r.Records {
			t.AddRow(s.Name, cmdutil.ProtoText(s.Proto), cmdutil.PortsText(s), statusColour(io, s), cmdutil.Sanitize(firstLine(s.Description)),
				personText(s.Assignee), refsText(s.Refs), s.Registered, s.Updated)
		}
		if err := t.Render(); err != nil {
			return err
		}
		for _, s := range r.Records {
			label := s.Name + "/" + cmdutil.ProtoText(s.Proto)
			if s.Name == "" {
				label = cmdutil.PortsText(s) + "/" + cmdutil.ProtoText(s.Proto)
			}
			if c := s.Contact; c != nil && personText(c) != personText(s.Assignee) {
				fmt.Fprintf(w, "  %s contact: %s %s\n", label, personText(c), io.Dim(mailto(c.URI)))
			}
			if s.Note != "" {
				fmt.Fprintf(w, "  %s note: %s\n", label, cmdutil.Sanitize(clip(oneLine(s.Note), 160)))
			}
			if s.Unauthorized != "" {
				fmt.Fprintf(w, "  %s %s: %s\n", label, io.Yellow("unauthorized use"), cmdutil.Sanitize(oneLine(s.Unauthorized)))
			}
			if s.ServiceCode != "" {
				fmt.Fprintf(w, "  %s service code: %s\n", label, s.ServiceCode)
			}
		}
	}
	if len(r.CommonUses) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s %s\n", io.Bold("Common use"), io.Dim("(de-facto, not IANA)"))
		t := tableprinter.New(io, "name", "proto", "ports", "description", "source")
		t.Flexible(3, 4)
		for _, c := range r.CommonUses {
			t.AddRow(c.Name, c.Proto.Label(), c.Ports.String(), c.Desc, c.Source)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if h := r.Host; h != nil {
		fmt.Fprintln(w)
		src := "read from the kernel"
		if h.Defaults {
			src = "documented defaults, not read from this system"
		}
		fmt.Fprintf(w, "%s %s\n", io.Bold("This host"), io.Dim("("+src+")"))
		fmt.Fprintf(w, "  ephemeral range %s: %s\n", h.Ephemeral, inOut(io, h.InEphemeral, "inside: the kernel may hand it to outgoing connections", "outside"))
		if len(h.Reserved) == 0 {
			fmt.Fprintln(w, "  reserved ports (ip_local_reserved_ports): none")
		} else {
			var rs []string
			for _, x := range h.Reserved {
				rs = append(rs, x.String())
			}
			fmt.Fprintf(w, "  reserved ports %s: %s\n", strings.Join(rs, ","), inOut(io, h.InReserved, "inside: skipped by automatic assignment", "outside"))
		}
		if h.NeedsPrivilege {
			fmt.Fprintf(w, "  binding needs privilege (root or CAP_NET_BIND_SERVICE): unprivileged ports start at %d\n", h.UnprivilegedStart)
		} else {
			fmt.Fprintf(w, "  any user may bind it (unprivileged ports start at %d)\n", h.UnprivilegedStart)
		}
	}
	if len(r.Traps) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s %s\n", io.Bold("Traps"), io.Dim("(it binds, but clients will not use it; free, lease and port skip it)"))
		for _, t := range r.Traps {
			fmt.Fprintf(w, "  %s: %s\n    %s\n", t.Ports, io.Yellow(t.Reason), io.Dim("source: "+t.Source))
		}
	}
	return renderSectionsTTY(io, w, r)
}

// renderSectionsTTY prints the plugged-in sections.
func renderSectionsTTY(io *iostreams.IOStreams, w goio.Writer, r *portolan.Answer) error {
	if len(r.Sockets) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, io.Bold("Here"))
		head := []string{"proto", "local", "state", "pid", "process", "user"}
		withOwner := false
		for _, s := range r.Sockets {
			withOwner = withOwner || ownerLabel(s) != ""
		}
		if withOwner {
			head = append(head, "owner")
		}
		t := tableprinter.New(io, head...)
		if withOwner {
			t.Flexible(6)
		}
		for _, s := range r.Sockets {
			pid, name, user := ownerCells(s)
			c := []string{s.Proto.String(), s.Local.String(), s.State.String(), pid, cmdutil.Sanitize(name), cmdutil.Sanitize(user)}
			if withOwner {
				c = append(c, cmdutil.Sanitize(tableprinter.Dash(ownerLabel(s))))
			}
			t.AddRow(c...)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(r.Leases) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, io.Bold("Leases"))
		t := tableprinter.New(io, cmdutil.LeaseColumns...)
		for _, l := range r.Leases {
			t.AddRow(cmdutil.LeaseRow(l, time.Now(), io.IsStdoutTTY())...)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(r.Fleet) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, io.Bold("Fleet"))
		t := tableprinter.New(io, "host", "proto", "address", "port", "program", "reach")
		t.Flexible(4)
		for _, l := range r.Fleet {
			t.AddRow(l.HostName, l.Proto.String(), l.Addr.String(), l.Port.String(), l.Program, string(l.Reach))
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(r.Assignments) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, io.Bold("Assignments"))
		t := tableprinter.New(io, "port", "proto", "name", "owner", "note")
		for _, a := range r.Assignments {
			t.AddRow(a.Port.String(), a.Proto.Label(), cmdutil.Sanitize(a.Name), cmdutil.Sanitize(a.Owner), cmdutil.Sanitize(a.Note))
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	return nil
}

func statusColour(io *iostreams.IOStreams, s portolan.Service) string {
	t := cmdutil.StatusText(s)
	switch s.Status {
	case portolan.Assigned:
		return io.Green(t)
	case portolan.Unassigned:
		return io.Dim(t)
	case portolan.Removed, portolan.Historic:
		return io.Yellow(t)
	}
	return t
}

func inOut(io *iostreams.IOStreams, in bool, yes, no string) string {
	if in {
		return io.Yellow(yes)
	}
	return no
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens long notes on a terminal; --json and piped rows keep them whole.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// renderPlain prints stable tab-separated rows for scripts, the first field
// naming the kind of row:
//
//	class   QUERY  CLASS  LO-HI
//	iana    QUERY  NAME  PROTO  PORTS  STATUS  DESCRIPTION  ASSIGNEE  REFS  REGISTERED  UPDATED
//	common  QUERY  NAME  PROTO  PORTS  DESCRIPTION  SOURCE
//	host    QUERY  EPHEMERAL  IN_EPHEMERAL  IN_RESERVED  NEEDS_PRIVILEGE  DEFAULTS
//	trap    QUERY  PORTS  KIND  REASON  SOURCE
//	socket  QUERY  PROTO  LOCAL  STATE  PID  PROCESS
//	lease   QUERY  PORT  PROTO  PID  LABEL
//	assignment QUERY PORT PROTO NAME OWNER
//	fleet QUERY HOST PROTO ADDRESS PORT PROGRAM REACH
//
// Every cell goes through cmdutil.Sanitize: a tab or newline inside one
// becomes a space, so each row stays one line, and no escape sequence
// reaches a terminal the rows end up on.
func renderPlain(w goio.Writer, r *portolan.Answer) error {
	var p plainRows
	return p.render(w, r)
}

// plainRows keeps its buffer from one answer to the next: a batch of ten
// thousand answers then allocates no row.
type plainRows struct{ b []byte }

func (p *plainRows) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			p.b = append(p.b, '\t')
		}
		p.b = append(p.b, cmdutil.Sanitize(c)...)
	}
	p.b = append(p.b, '\n')
}

func (p *plainRows) render(w goio.Writer, r *portolan.Answer) error {
	p.b = p.b[:0]
	if r.Class != nil {
		p.row("class", r.Query, r.Class.Class.String(), r.Class.Range.String())
	}
	for _, s := range r.Records {
		p.row("iana", r.Query, s.Name, cmdutil.ProtoText(s.Proto), cmdutil.PortsText(s), cmdutil.StatusText(s), s.Description,
			personText(s.Assignee), refsText(s.Refs), s.Registered, s.Updated)
	}
	for _, c := range r.CommonUses {
		p.row("common", r.Query, c.Name, c.Proto.Label(), c.Ports.String(), c.Desc, c.Source)
	}
	if h := r.Host; h != nil {
		p.row("host", r.Query, h.Ephemeral.String(), yesNo(h.InEphemeral), yesNo(h.InReserved), yesNo(h.NeedsPrivilege), yesNo(h.Defaults))
	}
	for _, t := range r.Traps {
		p.row("trap", r.Query, t.Ports.String(), t.Kind, t.Reason, t.Source)
	}
	for _, s := range r.Sockets {
		pid, name, _ := ownerCells(s)
		p.row("socket", r.Query, s.Proto.String(), s.Local.String(), s.State.String(), pid, name)
	}
	for _, l := range r.Leases {
		p.row("lease", r.Query, l.Port.String(), l.Proto.Label(), fmt.Sprint(l.PID), l.Label)
	}
	for _, a := range r.Assignments {
		p.row("assignment", r.Query, a.Port.String(), a.Proto.Label(), a.Name, a.Owner)
	}
	for _, l := range r.Fleet {
		p.row("fleet", r.Query, l.HostName, l.Proto.String(), l.Addr.String(), l.Port.String(), l.Program, string(l.Reach))
	}
	_, err := w.Write(p.b)
	return err
}

// ownerCells names a socket's holder; a process that /proc hides from this
// user is said to be hidden, with the socket's uid, rather than left blank.
// ownerLabel is what the socket's owner is, as ls's OWNER column says it
// ("nginx.service", "under pm2 pid 812 ~/src/shop [main]").
func ownerLabel(s portolan.Socket) string {
	if s.Owner == nil || s.Owner.Holder == nil {
		return ""
	}
	return holder.Label(*s.Owner.Holder)
}

func ownerCells(s portolan.Socket) (pid, name, user string) {
	switch {
	case s.Owner != nil:
		return fmt.Sprint(s.Owner.PID), s.Owner.Name, s.Owner.User
	case s.Hidden:
		return "hidden", "hidden", fmt.Sprint(s.UID)
	}
	return "", "", ""
}

// mailto shows IANA's obfuscated "mailto:chair&ietf.org" as an address a
// person can use; the record itself keeps IANA's text.
func mailto(uri string) string {
	if addr, ok := strings.CutPrefix(uri, "mailto:"); ok {
		return strings.Replace(addr, "&", "@", 1)
	}
	return uri
}
