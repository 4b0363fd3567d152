package iana

import (
	"strings"

	"github.com/portolan-dev/portolan"
)

// Stats are the counts `portolan registry info` prints and tests pin.
type Stats struct {
	Records        int            `json:"records"`
	ByProto        map[string]int `json:"by_protocol"` // "" for records without a protocol
	ByStatus       map[string]int `json:"by_status"`
	Ranges         int            `json:"ranges"`           // records numbered LO-HI
	WithoutNumber  int            `json:"without_number"`   // service names only
	MultiNamePairs int            `json:"multi_name_pairs"` // (port, protocol) pairs with several names
	MultiPortNames int            `json:"multi_port_names"` // names on several ports
	MixedCaseNames int            `json:"mixed_case_names"`
	Names          int            `json:"names"` // distinct names
	Unauthorized   int            `json:"unauthorized"`
	EmptyDesc      int            `json:"empty_descriptions"`
	People         int            `json:"people"` // distinct assignees and contacts
	Refs           map[string]int `json:"refs"`   // cross-references by type
}

// Count computes the statistics of d.
func Count(d *Data) Stats {
	records := d.Records
	st := Stats{Records: len(records), ByProto: map[string]int{}, ByStatus: map[string]int{}, Refs: map[string]int{}}
	pairs := map[portolan.Key]map[string]bool{}
	namePorts := map[string]map[portolan.Range]bool{}
	names := map[string]bool{}
	people := map[string]bool{}
	for i, s := range records {
		st.ByProto[s.Proto.String()]++
		st.ByStatus[s.Status.String()]++
		switch {
		case !s.HasPort:
			st.WithoutNumber++
		case !s.Ports.IsSingle() || d.RangeForm[i]:
			st.Ranges++
		}
		if s.Unauthorized != "" {
			st.Unauthorized++
		}
		if s.Description == "" {
			st.EmptyDesc++
		}
		for _, r := range s.Refs {
			st.Refs[r.Type]++
		}
		for _, p := range []*portolan.Person{s.Assignee, s.Contact} {
			if p != nil {
				people[p.ID] = true
			}
		}
		if s.Name == "" {
			continue
		}
		names[s.Name] = true
		low := strings.ToLower(s.Name)
		if s.HasPort {
			if namePorts[low] == nil {
				namePorts[low] = map[portolan.Range]bool{}
			}
			namePorts[low][s.Ports] = true
			if s.Ports.IsSingle() && s.Proto != portolan.ProtoAny {
				k := portolan.Key{Port: s.Ports.Lo, Proto: s.Proto}
				if pairs[k] == nil {
					pairs[k] = map[string]bool{}
				}
				pairs[k][s.Name] = true
			}
		}
	}
	for _, ns := range pairs {
		if len(ns) > 1 {
			st.MultiNamePairs++
		}
	}
	for _, ps := range namePorts {
		if len(ps) > 1 {
			st.MultiPortNames++
		}
	}
	for n := range names {
		if n != strings.ToLower(n) {
			st.MixedCaseNames++
		}
	}
	st.Names = len(names)
	st.People = len(people)
	return st
}
