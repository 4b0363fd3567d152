package iana

import (
	"bufio"
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
		line, _, _ := strings.Cut(sc.Text(), "#")
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
		out = append(out, ServicesEntry{Name: f[0], Port: p, Proto: proto, Aliases: f[2:], Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "reading services: %v", err)
	}
	return out, nil
}

// servicesName reports whether a registry name can stand in /etc/services:
// no blanks and no '#'.
func servicesName(s string) bool { return s != "" && !strings.ContainsAny(s, " \t#") }

// WriteServices writes records as an /etc/services file: one line per
// single port and protocol that IANA assigns, the primary name first and
// the other names on that port (aliases) after it, in port order. Ranges
// are left out: the format has no syntax for them.
func WriteServices(w io.Writer, records []portolan.Service, updated string) error {
	type line struct {
		key   portolan.Key
		names []string
	}
	var lines []*line
	at := map[portolan.Key]*line{}
	for _, s := range records {
		if !s.HasPort || !s.Ports.IsSingle() || s.Proto == portolan.ProtoAny || !servicesName(s.Name) {
			continue
		}
		switch s.Status {
		case portolan.Reserved, portolan.Unassigned, portolan.Removed:
			continue
		}
		k := portolan.Key{Port: s.Ports.Lo, Proto: s.Proto}
		l := at[k]
		if l == nil {
			l = &line{key: k}
			at[k] = l
			lines = append(lines, l)
		}
		dup := false
		for _, n := range l.names {
			dup = dup || n == s.Name
		}
		if dup {
			continue
		}
		if s.Status == portolan.Alias {
			l.names = append(l.names, s.Name)
		} else {
			// a primary goes before any alias already collected
			i := 0
			for i < len(l.names) && !isAliasName(records, k, l.names[i]) {
				i++
			}
			l.names = append(l.names[:i], append([]string{s.Name}, l.names[i:]...)...)
		}
	}
	sortLines := func(a, b *line) int {
		if a.key.Port != b.key.Port {
			return int(a.key.Port) - int(b.key.Port)
		}
		return int(a.key.Proto) - int(b.key.Proto)
	}
	slices.SortStableFunc(lines, sortLines)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# /etc/services from IANA's Service Name and Transport Protocol Port Number Registry, %s.\n", updated)
	fmt.Fprintf(bw, "# Written by portolan export --format services: primary name, port/protocol, aliases.\n")
	for _, l := range lines {
		pp := l.key.Port.String() + "/" + l.key.Proto.String()
		if len(l.names) > 1 {
			fmt.Fprintf(bw, "%-23s %-11s %s", l.names[0], pp, strings.Join(l.names[1:], " "))
		} else {
			fmt.Fprintf(bw, "%-23s %s", l.names[0], pp)
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func isAliasName(records []portolan.Service, k portolan.Key, name string) bool {
	for _, s := range records {
		if s.Name == name && s.HasPort && s.Ports.IsSingle() && s.Ports.Lo == k.Port && s.Proto == k.Proto {
			return s.Status == portolan.Alias
		}
	}
	return false
}
