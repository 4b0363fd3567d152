package iana

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/portolan-dev/portolan"
)

// ServicesEntry is one line of an /etc/services file.
type ServicesEntry struct {
	Name    string
	Port    portolan.Port
	Proto   string // as written; glibc accepts any protocol name
	Aliases []string
	Comment string // the text after '#', trimmed
	Line    int
}

// ParseServices reads /etc/services the way glibc's files backend does:
// '#' starts a comment anywhere, fields are separated by blanks, a line is
// "name port/protocol [alias...]". Lines glibc would skip as malformed are
// skipped here too; it fails only on read errors.
func ParseServices(r io.Reader) ([]ServicesEntry, error) {
	var out []ServicesEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line, comment, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		num, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			continue
		}
		p, err := portolan.ParsePort(num)
		if err != nil {
			continue
		}
		out = append(out, ServicesEntry{Name: f[0], Port: p, Proto: proto, Aliases: f[2:], Comment: strings.TrimSpace(comment), Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "reading services: %v", err)
	}
	return out, nil
}

// servicesName reports whether a registry name can stand in /etc/services:
// no blanks and no '#'.
func servicesName(s string) bool { return s != "" && !strings.ContainsAny(s, " \t#") }

// NetbaseVersion is the version of Debian's netbase package whose
// /etc/services is embedded as NetbaseServices.
const NetbaseVersion = "6.4"

// NetbaseServices is Debian's /etc/services (netbase 6.4), kept as data like
// IANA's registry: the names and ports people and tools (ss, getent, Go's
// net.LookupPort) know. WriteServices puts it first so that every name and
// port it has resolves as it does there.
//
//go:embed netbase-services
var NetbaseServices string

// WriteServices writes an /etc/services file that agrees with Debian's
// netbase file on every name and port that file has, whichever resolver
// reads it: glibc takes the first line for a name or a port, Go's
// net.LookupPort the last line for a name. In order:
//
//   - lead, lines that must win (an organisation's assignments);
//   - netbase's file, as it is;
//   - IANA's other names in port order, one line per port and protocol with
//     the primary name first. A name appears once per protocol in the whole
//     file, matched case-insensitively as Go does: a name netbase (or lead)
//     already has is left out, and a name IANA lists on several ports stands
//     on its first port only, so glibc and Go give the same port. A name
//     registered for a range (x11 6000-6063) stands on the range's first port;
//   - names that an earlier section repeats on another port (netbase has
//     dicom on 104 and 11112) restated on the port glibc gives them, so that
//     Go's last line says the same.
func WriteServices(w io.Writer, records []portolan.Service, updated string, lead []ServicesEntry) error {
	base, err := ParseServices(strings.NewReader(NetbaseServices))
	if err != nil {
		return err
	}
	// first and last hold the port of a (protocol, lower-case name)'s first
	// and last line: what glibc and Go answer.
	type nameKey struct{ proto, name string }
	first, last := map[nameKey]portolan.Port{}, map[nameKey]portolan.Port{}
	var order []nameKey
	note := func(e ServicesEntry) {
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			k := nameKey{e.Proto, strings.ToLower(n)}
			if _, ok := first[k]; !ok {
				first[k] = e.Port
				order = append(order, k)
			}
			last[k] = e.Port
		}
	}
	for _, e := range lead {
		note(e)
	}
	for _, e := range base {
		note(e)
	}
	type line struct {
		key   portolan.Key
		names []string
		alias []bool
	}
	var lines []*line
	at := map[portolan.Key]*line{}
	for _, s := range records {
		if !s.HasPort || s.Proto == portolan.ProtoAny || !servicesName(s.Name) {
			continue
		}
		switch s.Status {
		case portolan.Reserved, portolan.Unassigned, portolan.Removed:
			continue
		}
		k := nameKey{s.Proto.String(), strings.ToLower(s.Name)}
		if _, ok := first[k]; ok {
			continue
		}
		first[k], last[k] = s.Ports.Lo, s.Ports.Lo
		pk := portolan.Key{Port: s.Ports.Lo, Proto: s.Proto}
		l := at[pk]
		if l == nil {
			l = &line{key: pk}
			at[pk] = l
			lines = append(lines, l)
		}
		i := len(l.names)
		if s.Status != portolan.Alias { // a primary goes before the aliases collected so far
			for i = 0; i < len(l.names) && !l.alias[i]; i++ {
			}
		}
		l.names = slices.Insert(l.names, i, s.Name)
		l.alias = slices.Insert(l.alias, i, s.Status == portolan.Alias)
	}
	slices.SortStableFunc(lines, func(a, b *line) int {
		if a.key.Port != b.key.Port {
			return int(a.key.Port) - int(b.key.Port)
		}
		return int(a.key.Proto) - int(b.key.Proto)
	})

	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# /etc/services written by portolan export --format services, from IANA's Service Name and\n")
	fmt.Fprintf(bw, "# Transport Protocol Port Number Registry of %s. Debian's netbase %s file comes first, as it\n", updated, NetbaseVersion)
	fmt.Fprintf(bw, "# is, so its names and ports resolve as there; IANA's other names follow, each on one port.\n\n")
	if len(lead) > 0 {
		fmt.Fprintf(bw, "# Organisation assignments (portolan assignments), first so that their names and ports win.\n")
		for _, e := range lead {
			writeEntry(bw, e)
		}
		bw.WriteByte('\n')
	}
	fmt.Fprintf(bw, "# --- Debian netbase %s /etc/services ---\n", NetbaseVersion)
	bw.WriteString(NetbaseServices)
	if !strings.HasSuffix(NetbaseServices, "\n") {
		bw.WriteByte('\n')
	}
	fmt.Fprintf(bw, "\n# --- IANA's other names, registry of %s: primary name, port/protocol, aliases ---\n", updated)
	for _, l := range lines {
		writeEntry(bw, ServicesEntry{Name: l.names[0], Port: l.key.Port, Proto: l.key.Proto.String(), Aliases: l.names[1:]})
	}
	var restate []ServicesEntry
	for _, k := range order {
		if first[k] != last[k] {
			restate = append(restate, ServicesEntry{Name: k.name, Port: first[k], Proto: k.proto})
		}
	}
	if len(restate) > 0 {
		fmt.Fprintf(bw, "\n# --- Restated: a reader that takes a name's last line (Go) gets the port of its first (glibc) ---\n")
		for _, e := range restate {
			writeEntry(bw, e)
		}
	}
	return bw.Flush()
}

// writeEntry writes one /etc/services line.
func writeEntry(w *bufio.Writer, e ServicesEntry) {
	pp := e.Port.String() + "/" + e.Proto
	text := fmt.Sprintf("%-23s %s", e.Name, pp)
	if len(e.Aliases) > 0 {
		text = fmt.Sprintf("%-23s %-11s %s", e.Name, pp, strings.Join(e.Aliases, " "))
	}
	if e.Comment != "" {
		text += "\t# " + e.Comment
	}
	w.WriteString(text)
	w.WriteByte('\n')
}
