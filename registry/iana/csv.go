package iana

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/portolan-dev/portolan"
)

// CSVHeader is the header row of IANA's service-names-port-numbers.csv.
var CSVHeader = []string{"Service Name", "Port Number", "Transport Protocol", "Description", "Assignee",
	"Contact", "Registration Date", "Modification Date", "Reference", "Service Code",
	"Unauthorized Use Reported", "Assignment Notes"}

// ParseCSV reads IANA's service-names-port-numbers.csv. The CSV has no
// <people> section, so assignee and contact carry only their ids, and
// references are the bracketed tokens of the Reference column. Columns are
// found by their header names; errors are EINVALID and name the line.
//
// A file cut short is refused: every row must have the header's columns
// and the file must end with a line break (IANA's does), so a cut inside
// a line or a quoted field does not pass as a shorter release.
func ParseCSV(r io.Reader) (*Data, error) {
	lr := &lastByteReader{r: r}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, portolan.Errorf(portolan.EINVALID, "line 1: empty file: want IANA's CSV with header %q", strings.Join(CSVHeader[:4], ","))
		}
		return nil, csvErr(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, h := range CSVHeader[:4] {
		if _, ok := col[h]; !ok {
			return nil, portolan.Errorf(portolan.EINVALID, "line 1: header has no %q column: want IANA's CSV header %q", h, strings.Join(CSVHeader, ","))
		}
	}
	d := &Data{}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(row) != len(head) {
			return nil, portolan.Errorf(portolan.EINVALID, "line %d: %d fields where the header has %d: the line is cut short or not IANA's CSV", line, len(row), len(head))
		}
		get := func(h string) string {
			if i, ok := col[h]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		s, err := csvRecord(get)
		if err != nil {
			return nil, portolan.Errorf(portolan.EINVALID, "line %d: %s", line, portolan.ErrorMessage(err))
		}
		if s.Name == "" && s.Description == "" && !s.HasPort {
			continue // IANA's CSV has no blank rows, but editors add them
		}
		if v := get("Port Number"); s.Ports.IsSingle() && strings.Contains(v, "-") {
			if d.RangeForm == nil {
				d.RangeForm = map[int]bool{}
			}
			d.RangeForm[len(d.Records)] = true
		}
		d.Records = append(d.Records, s)
	}
	if len(d.Records) == 0 {
		return nil, portolan.Errorf(portolan.EINVALID, "the CSV holds no records")
	}
	if lr.last != '\n' {
		line, _ := cr.FieldPos(0)
		return nil, portolan.Errorf(portolan.EINVALID, "line %d: the file ends inside a line: it is cut short (IANA's CSV ends with a line break)", line)
	}
	for _, s := range d.Records {
		if s.Updated > d.Updated {
			d.Updated = s.Updated
		}
		if s.Registered > d.Updated {
			d.Updated = s.Registered
		}
	}
	return d, nil
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return portolan.Errorf(portolan.EINVALID, "line %d: not valid CSV: %v", pe.Line, pe.Err)
	}
	return portolan.Errorf(portolan.EINVALID, "not valid CSV: %v", err)
}

func csvRecord(get func(string) string) (portolan.Service, error) {
	s := portolan.Service{
		Name:         get("Service Name"),
		Description:  get("Description"),
		Registered:   get("Registration Date"),
		Updated:      get("Modification Date"),
		ServiceCode:  get("Service Code"),
		Unauthorized: get("Unauthorized Use Reported"),
		Note:         get("Assignment Notes"),
	}
	if v := get("Transport Protocol"); v != "" {
		p, err := portolan.ParseProto(v)
		if err != nil {
			return s, portolan.Errorf(portolan.EINVALID, "Transport Protocol %q is not one of tcp, udp, sctp, dccp", v)
		}
		s.Proto = p
	}
	if v := get("Port Number"); v != "" {
		r, err := portolan.ParseRange(v)
		if err != nil {
			return s, portolan.Errorf(portolan.EINVALID, "Port Number %q is not a port or range within 0-65535", v)
		}
		s.Ports, s.HasPort = r, true
	}
	for _, d := range [...]struct{ col, v string }{{"Registration Date", s.Registered}, {"Modification Date", s.Updated}} {
		if d.v != "" && !validDate(d.v) {
			return s, portolan.Errorf(portolan.EINVALID, "%s %q is not a date YYYY-MM-DD or YYYY-MM", d.col, d.v)
		}
	}
	if id := bracketed(get("Contact")); id != "" {
		s.Contact = &portolan.Person{ID: id}
	}
	if id := bracketed(get("Assignee")); id != "" {
		s.Assignee = &portolan.Person{ID: id}
	}
	s.Refs = parseRefs(get("Reference"))
	deriveStatus(&s)
	return s, nil
}

// bracketed returns the id inside "[id]", or v itself.
func bracketed(v string) string {
	if strings.HasPrefix(v, "[") {
		if end := strings.IndexByte(v, ']'); end > 0 {
			return strings.TrimSpace(v[1:end])
		}
	}
	return v
}

// parseRefs splits a Reference cell, "[RFC9110][IETF_Chair]", into refs;
// text outside brackets is a text reference.
func parseRefs(v string) []portolan.Ref {
	var refs []portolan.Ref
	for v = strings.TrimSpace(v); v != ""; v = strings.TrimSpace(v) {
		if v[0] != '[' {
			end := strings.IndexByte(v, '[')
			if end < 0 {
				end = len(v)
			}
			refs = append(refs, portolan.Ref{Type: "text", Data: strings.TrimSpace(v[:end])})
			v = v[end:]
			continue
		}
		end := strings.IndexByte(v, ']')
		if end < 0 {
			refs = append(refs, portolan.Ref{Type: "text", Data: v})
			break
		}
		refs = append(refs, classifyRef(strings.TrimSpace(v[1:end])))
		v = v[end+1:]
	}
	return refs
}

func classifyRef(t string) portolan.Ref {
	lt := strings.ToLower(t)
	switch {
	case strings.HasPrefix(lt, "rfc") && len(lt) > 3 && allDigits(lt[3:]):
		return portolan.Ref{Type: "rfc", Data: lt}
	case strings.HasPrefix(lt, "rfc-") || strings.HasPrefix(lt, "draft-"):
		return portolan.Ref{Type: "draft", Data: t}
	case strings.Contains(t, "://"):
		return portolan.Ref{Type: "uri", Data: t}
	case allDigits(t):
		return portolan.Ref{Type: "note", Data: t}
	}
	return portolan.Ref{Type: "person", Data: t}
}

// FormatRef writes r the way IANA's CSV Reference column does; ParseCSV
// reads it back.
func FormatRef(r portolan.Ref) string {
	switch r.Type {
	case "rfc":
		return "[" + strings.ToUpper(r.Data) + "]"
	case "text":
		return r.Data
	}
	return "[" + r.Data + "]"
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// WriteCSV writes records in IANA's CSV layout (CSVHeader), which ParseCSV
// reads back. People are written as "[id]", as IANA does.
func WriteCSV(w io.Writer, records []portolan.Service, rangeForm map[int]bool) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	id := func(p *portolan.Person) string {
		if p == nil {
			return ""
		}
		return "[" + p.ID + "]"
	}
	for i, s := range records {
		num := ""
		if s.HasPort {
			num = s.Ports.String()
			if rangeForm[i] {
				num = s.Ports.Lo.String() + "-" + s.Ports.Hi.String()
			}
		}
		var refs strings.Builder
		for _, r := range s.Refs {
			refs.WriteString(FormatRef(r))
		}
		row := []string{s.Name, num, s.Proto.String(), s.Description, id(s.Assignee), id(s.Contact),
			s.Registered, s.Updated, refs.String(), s.ServiceCode, s.Unauthorized, s.Note}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// lastByteReader remembers the last byte read, to tell a file that ends
// with a line break from one cut inside a line.
type lastByteReader struct {
	r    io.Reader
	last byte
}

func (l *lastByteReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.last = p[n-1]
	}
	return n, err
}
