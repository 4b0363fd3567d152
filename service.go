package portolan

import "strings"

// Status is what a registry record says about its port or name, derived from
// its fields and notes by the IANA parser.
type Status uint8

// Record statuses.
const (
	Assigned   Status = iota // an assigned service
	Reserved                 // IANA holds the port back (e.g. port 0)
	Unassigned               // an explicit "Unassigned" record, mostly ranges
	Alias                    // "This entry is an alias to ..."; AliasOf names the primary
	Historic                 // marked historic; kept for reference
	Removed                  // removed, de-assigned or revoked
	NameOnly                 // a service name without a port (mostly DNS-SD)
)

var statusNames = [...]string{"assigned", "reserved", "unassigned", "alias", "historic", "removed", "name-only"}

// String returns the lower-case name of s.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status?"
}

// ParseStatus parses the names String returns.
func ParseStatus(s string) (Status, error) {
	for i, n := range statusNames {
		if s == n {
			return Status(i), nil
		}
	}
	return 0, Errorf(EINVALID, "status %q is not one of %s", s, strings.Join(statusNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Status) UnmarshalText(b []byte) error {
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Person is an assignee or contact, resolved through the registry's <people>.
type Person struct {
	ID   string `json:"id"`             // the registry's id, e.g. "Jon_Postel"
	Name string `json:"name,omitempty"` // the display name
	Org  string `json:"org,omitempty"`
	URI  string `json:"uri,omitempty"` // usually mailto:
}

// Ref is one cross-reference of a record: type is rfc, person, uri, draft,
// text or note; Data is the reference ("rfc9110", a URL, a person id).
type Ref struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

// Service is one record of IANA's registry. Records with no port number
// (HasPort false) are service names only.
type Service struct {
	Name         string  `json:"name,omitempty"` // original case; empty for unnamed records (Reserved, Unassigned)
	Proto        Proto   `json:"protocol"`       // ProtoAny when IANA lists no protocol
	Ports        Range   `json:"ports"`          // meaningful only when HasPort
	HasPort      bool    `json:"has_port"`
	Status       Status  `json:"status"`
	AliasOf      string  `json:"alias_of,omitempty"` // the primary name, for Status Alias
	Description  string  `json:"description,omitempty"`
	Assignee     *Person `json:"assignee,omitempty"`
	Contact      *Person `json:"contact,omitempty"`
	Refs         []Ref   `json:"refs,omitempty"`
	Registered   string  `json:"registered,omitempty"` // YYYY-MM-DD as IANA gives it
	Updated      string  `json:"updated,omitempty"`    // YYYY-MM-DD as IANA gives it
	Note         string  `json:"note,omitempty"`
	Unauthorized string  `json:"unauthorized,omitempty"` // reported unauthorized use
	ServiceCode  string  `json:"service_code,omitempty"` // DCCP service code
}

// Key is the (port, protocol) pair a record lives on, for records with a
// single port.
type Key struct {
	Port  Port
	Proto Proto
}

// CommonUse is a de-facto use of a port that IANA does not list, or lists
// for something else: 3000 for Node dev servers, 9200 for Elasticsearch. It
// is always shown as "common use", never as IANA data.
type CommonUse struct {
	Ports  Range  `json:"ports"`
	Proto  Proto  `json:"protocol"` // ProtoAny when it is used on both
	Name   string `json:"name"`     // short label, e.g. "vite"
	Desc   string `json:"description"`
	Source string `json:"source"` // where the fact comes from
}
