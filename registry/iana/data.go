// Package iana reads IANA's Service Name and Transport Protocol Port Number
// Registry (its XML and CSV forms) into portolan records, and encodes them as
// the compact, indexed snapshot that the registry package embeds. Parsing
// happens only at `go generate` and `portolan registry update` time; at run
// time the snapshot is read in place.
package iana

import (
	"regexp"
	"strings"
	"sync"

	"github.com/portolan-dev/portolan"
)

// Data is one release of the registry: its records in IANA's order.
type Data struct {
	Updated string // the registry's <updated> date, YYYY-MM-DD
	Source  string // where it was read from, e.g. "service-names-port-numbers.xml"
	Records []portolan.Service
	// RangeForm holds the indices of records whose number IANA writes as
	// LO-HI even though LO == HI ("4748-4748"): the registry counts them as
	// ranges, and so do Stats.
	RangeForm map[int]bool
}

// aliasRE matches IANA's two ways of marking an alias: "This entry is an
// alias to "X"" and "This is a duplicate of the "X" service" (www, www-http).
// The regexps compile on first use: the parser runs at generate and update
// time, never on a lookup, which should not pay for them at start-up.
var aliasRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:this entry is an alias to|this is a duplicate of the) "([^"]+)"`)
})

// removedRE matches the notes IANA leaves on entries it took back.
var removedRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)\b(has been removed|is being removed|been removed|de-?assigned|released by|previously "?removed|\(removed)`)
})

// deriveStatus sets s.Status (and AliasOf) from the record's fields and
// notes, the way a reader of the registry would:
//   - a note "This entry is an alias to "X"" (or "a duplicate of the "X"
//     service") makes an alias of X;
//   - an unnamed record whose note says it was removed, de-assigned or
//     released is removed (its description says Reserved or Unassigned);
//   - an unnamed "Reserved…" or "Unassigned…" record is reserved or unassigned;
//   - a description or note that calls the entry historic or deprecated makes
//     it historic;
//   - a named record without a port number is name-only;
//   - everything else is assigned.
func deriveStatus(s *portolan.Service) {
	s.AliasOf = ""
	if m := aliasRE().FindStringSubmatch(s.Note); m != nil && s.Name != "" {
		s.Status, s.AliasOf = portolan.Alias, m[1]
		return
	}
	d := strings.ToLower(strings.TrimSpace(s.Description))
	if s.Name == "" {
		switch {
		case removedRE().MatchString(s.Note):
			s.Status = portolan.Removed
		case strings.HasPrefix(d, "unassigned"):
			s.Status = portolan.Unassigned
		case strings.HasPrefix(d, "reserved"):
			s.Status = portolan.Reserved
		case d == "deprecated":
			s.Status = portolan.Historic
		default:
			s.Status = portolan.Reserved
		}
		return
	}
	n := strings.ToLower(s.Note)
	switch {
	case strings.Contains(d, "(historic)"), strings.Contains(n, "this entry is now historic"):
		s.Status = portolan.Historic
	case !s.HasPort:
		s.Status = portolan.NameOnly
	default:
		s.Status = portolan.Assigned
	}
}
