package iana

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/portolan-dev/portolan"
)

// ParseXML reads IANA's service-names-port-numbers.xml. Every record keeps
// all its fields; assignee and contact are resolved through <people>.
// Errors are EINVALID and name the line and element at fault.
//
// IANA's XML has an explicit <assignee> only on newer records; older ones
// carry a single person xref, which IANA's CSV lists as both assignee and
// contact, and so does ParseXML.
func ParseXML(r io.Reader) (*Data, error) {
	p := &xmlParser{d: xml.NewDecoder(r)}
	p.d.Strict = true
	return p.parse()
}

type xmlParser struct {
	d      *xml.Decoder
	data   Data
	people map[string]portolan.Person
	// person ids per record, resolved once <people> (which comes last) is read
	assignee, contact []string
	rangeForm         bool // the current record's number is written LO-HI
}

func (p *xmlParser) errorf(format string, args ...any) error {
	line, _ := p.d.InputPos()
	return portolan.Errorf(portolan.EINVALID, "line %d: "+format, append([]any{line}, args...)...)
}

// wrap turns a decoder error (bad syntax, truncated file) into one line.
func (p *xmlParser) wrap(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return portolan.Errorf(portolan.EINVALID, "line %d: not well-formed XML: %s", se.Line, se.Msg)
	}
	if errors.Is(err, io.EOF) {
		return p.errorf("unexpected end of file")
	}
	return p.errorf("%v", err)
}

func (p *xmlParser) parse() (*Data, error) {
	root, err := p.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, portolan.Errorf(portolan.EINVALID, "line 1: no XML element: want IANA's service-names-port-numbers registry")
		}
		return nil, p.wrap(err)
	}
	if root.Name.Local != "registry" || attr(root, "id") != "service-names-port-numbers" {
		return nil, p.errorf("root element <%s id=%q> is not IANA's <registry id=\"service-names-port-numbers\">", root.Name.Local, attr(root, "id"))
	}
	p.people = map[string]portolan.Person{}
	err = p.children(func(t xml.StartElement) error {
		switch t.Name.Local {
		case "updated":
			s, err := p.text()
			if err != nil {
				return err
			}
			if !validDate(s) {
				return p.errorf("<updated> %q is not a date YYYY-MM-DD or YYYY-MM", s)
			}
			p.data.Updated = s
			return nil
		case "record":
			return p.record(t)
		case "people":
			return p.peopleSection()
		}
		return p.skip()
	})
	if err != nil {
		return nil, err
	}
	return p.finish()
}

// children calls each for every child element of the element just opened
// (each must read the child to its end: p.text, p.skip, ...) and returns at
// the element's end. Text between the children is layout: it is dropped.
func (p *xmlParser) children(each func(xml.StartElement) error) error {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return p.wrap(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := each(t); err != nil {
				return err
			}
		}
	}
}

// skip reads past the element just opened.
func (p *xmlParser) skip() error {
	if err := p.d.Skip(); err != nil {
		return p.wrap(err)
	}
	return nil
}

func (p *xmlParser) finish() (*Data, error) {
	if len(p.data.Records) == 0 {
		return nil, p.errorf("the registry holds no <record>")
	}
	// IANA's XML opens with <updated> and closes with <people>: a file
	// without them was cut and closed again, or is not IANA's.
	if p.data.Updated == "" {
		return nil, p.errorf("the registry has no <updated> date: want IANA's whole service-names-port-numbers XML")
	}
	if len(p.people) == 0 {
		return nil, p.errorf("the registry has no <people> section: the file is cut short or is not IANA's whole XML")
	}
	for i := range p.data.Records {
		s := &p.data.Records[i]
		s.Assignee = p.person(p.assignee[i])
		s.Contact = p.person(p.contact[i])
	}
	return &p.data, nil
}

func (p *xmlParser) person(id string) *portolan.Person {
	if id == "" {
		return nil
	}
	if pp, ok := p.people[id]; ok {
		return &pp
	}
	return &portolan.Person{ID: id}
}

// next returns the next start element, skipping the prolog.
func (p *xmlParser) next() (xml.StartElement, error) {
	for {
		tok, err := p.d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if t, ok := tok.(xml.StartElement); ok {
			return t, nil
		}
	}
}

func (p *xmlParser) record(start xml.StartElement) error {
	line, _ := p.d.InputPos()
	s := portolan.Service{Registered: attr(start, "date"), Updated: attr(start, "updated")}
	if s.Registered != "" && !validDate(s.Registered) {
		return p.errorf("<record date=%q>: not a date YYYY-MM-DD or YYYY-MM", s.Registered)
	}
	if s.Updated != "" && !validDate(s.Updated) {
		return p.errorf("<record updated=%q>: not a date YYYY-MM-DD or YYYY-MM", s.Updated)
	}
	var assignee, contact string
	err := p.children(func(t xml.StartElement) error {
		switch t.Name.Local {
		case "xref":
			ref, err := p.xref(t)
			if err != nil {
				return err
			}
			s.Refs = append(s.Refs, ref)
			if ref.Type == "person" && contact == "" {
				contact = ref.Data
			}
			return nil
		case "assignee", "contact":
			id, err := p.personRef(t)
			if err != nil {
				return err
			}
			if t.Name.Local == "assignee" {
				assignee = id
			} else {
				contact = id
			}
			return nil
		}
		v, err := p.text()
		if err != nil {
			return err
		}
		switch t.Name.Local {
		case "name":
			s.Name = v
		case "protocol":
			pr, err := portolan.ParseProto(v)
			if err != nil {
				return p.errorf("<protocol> %q is not one of tcp, udp, sctp, dccp", v)
			}
			s.Proto = pr
		case "number":
			r, err := portolan.ParseRange(v)
			if err != nil {
				return p.errorf("<number> %q is not a port or range within 0-65535", v)
			}
			s.Ports, s.HasPort = r, true
			if r.IsSingle() && strings.Contains(v, "-") {
				p.rangeForm = true
			}
		case "description":
			s.Description = v
		case "note":
			s.Note = v
		case "unauthorized":
			s.Unauthorized = v
		case "sc":
			s.ServiceCode = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if assignee == "" {
		assignee = contact
	}
	if s.Name == "" && s.Description == "" && !s.HasPort {
		return portolan.Errorf(portolan.EINVALID, "line %d: <record> has no name, number or description", line)
	}
	deriveStatus(&s)
	if p.rangeForm {
		if p.data.RangeForm == nil {
			p.data.RangeForm = map[int]bool{}
		}
		p.data.RangeForm[len(p.data.Records)] = true
		p.rangeForm = false
	}
	p.data.Records = append(p.data.Records, s)
	p.assignee = append(p.assignee, assignee)
	p.contact = append(p.contact, contact)
	return nil
}

// xref reads <xref type="T" data="D"/>; a text xref carries its text in the
// element body instead of data.
func (p *xmlParser) xref(t xml.StartElement) (portolan.Ref, error) {
	ref := portolan.Ref{Type: attr(t, "type"), Data: attr(t, "data")}
	body, err := p.text()
	if err != nil {
		return ref, err
	}
	if ref.Data == "" {
		ref.Data = body
	}
	if ref.Type == "" {
		return ref, p.errorf("<xref> has no type")
	}
	return ref, nil
}

// personRef reads <assignee><xref type="person" data="ID"/></assignee>.
func (p *xmlParser) personRef(start xml.StartElement) (string, error) {
	id := ""
	err := p.children(func(t xml.StartElement) error {
		if t.Name.Local == "xref" && id == "" {
			id = attr(t, "data")
		}
		return p.skip()
	})
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", p.errorf("<%s> names no person", start.Name.Local)
	}
	return id, nil
}

func (p *xmlParser) peopleSection() error {
	return p.children(func(t xml.StartElement) error {
		if t.Name.Local != "person" {
			return p.skip()
		}
		pp := portolan.Person{ID: attr(t, "id")}
		if pp.ID == "" {
			return p.errorf("<person> has no id")
		}
		if err := p.personBody(&pp); err != nil {
			return err
		}
		p.people[pp.ID] = pp
		return nil
	})
}

func (p *xmlParser) personBody(pp *portolan.Person) error {
	return p.children(func(t xml.StartElement) error {
		v, err := p.text()
		if err != nil {
			return err
		}
		switch t.Name.Local {
		case "name":
			pp.Name = v
		case "org":
			pp.Org = v
		case "uri":
			pp.URI = v
		}
		return nil
	})
}

func (p *xmlParser) text() (string, error) {
	var b strings.Builder
	if err := p.textInto(&b); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

func (p *xmlParser) textInto(b *strings.Builder) error {
	afterBr := false // the source's line break after a <br/> is layout, not text
	for {
		tok, err := p.d.Token()
		if err != nil {
			return p.wrap(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if afterBr {
				t = bytes.TrimLeft(t, " \t\r\n")
				afterBr = len(t) == 0
			}
			b.Write(t)
		case xml.StartElement:
			switch t.Name.Local {
			case "br":
				b.WriteByte('\n')
				afterBr = true
				if err := p.skip(); err != nil {
					return err
				}
			case "paragraph":
				inner, err := p.text()
				if err != nil {
					return err
				}
				before := strings.TrimRight(b.String(), " \t\r\n")
				b.Reset()
				b.WriteString(before)
				if before != "" {
					b.WriteByte('\n')
				}
				b.WriteString(inner)
			case "xref":
				data := attr(t, "data")
				inner, err := p.text()
				if err != nil {
					return err
				}
				if data == "" {
					data = inner
				}
				b.WriteString("[" + data + "]")
			default:
				if err := p.textInto(b); err != nil {
					return err
				}
			}
		}
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// validDate accepts YYYY-MM-DD and, as older IANA records have it, YYYY-MM.
func validDate(s string) bool {
	if (len(s) != 10 && len(s) != 7) || s[4] != '-' || (len(s) == 10 && s[7] != '-') {
		return false
	}
	for i, c := range []byte(s) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
