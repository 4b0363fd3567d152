package iana

import (
	"reflect"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Change is one record present in both releases with different fields.
type Change struct {
	Old    portolan.Service `json:"old"`
	New    portolan.Service `json:"new"`
	Fields []string         `json:"fields"` // JSON names of the fields that differ
}

// Delta is what changed between two releases of the registry.
type Delta struct {
	OldUpdated string             `json:"old_updated"`
	NewUpdated string             `json:"new_updated"`
	Added      []portolan.Service `json:"added"`
	Removed    []portolan.Service `json:"removed"`
	Changed    []Change           `json:"changed"`
}

// recordKey identifies a record across releases: its name (case-folded),
// protocol and number. Unnamed records (Reserved, Unassigned) are keyed by
// protocol and number alone; the rare duplicate keys are told apart by
// their order of appearance.
type recordKey struct {
	name  string
	proto portolan.Proto
	ports portolan.Range
	has   bool
	nth   int
}

func keys(recs []portolan.Service) []recordKey {
	seen := map[recordKey]int{}
	out := make([]recordKey, len(recs))
	for i, s := range recs {
		k := recordKey{name: strings.ToLower(s.Name), proto: s.Proto, ports: s.Ports, has: s.HasPort}
		k.nth = seen[k]
		seen[k]++
		out[i] = k
	}
	return out
}

// Diff compares two releases: records only in b are added, records only in
// a removed, records in both with any field changed are changed. Each list
// keeps the order of the release it comes from.
func Diff(a, b *Data) Delta {
	d := Delta{OldUpdated: a.Updated, NewUpdated: b.Updated}
	ka, kb := keys(a.Records), keys(b.Records)
	inA := make(map[recordKey]int, len(ka))
	for i, k := range ka {
		inA[k] = i
	}
	inB := make(map[recordKey]bool, len(kb))
	for j, k := range kb {
		inB[k] = true
		i, ok := inA[k]
		if !ok {
			d.Added = append(d.Added, b.Records[j])
			continue
		}
		if f := changedFields(a.Records[i], b.Records[j]); len(f) > 0 {
			d.Changed = append(d.Changed, Change{Old: a.Records[i], New: b.Records[j], Fields: f})
		}
	}
	for i, k := range ka {
		if !inB[k] {
			d.Removed = append(d.Removed, a.Records[i])
		}
	}
	return d
}

// changedFields lists the JSON names of the fields that differ.
func changedFields(x, y portolan.Service) []string {
	var out []string
	vx, vy := reflect.ValueOf(x), reflect.ValueOf(y)
	t := vx.Type()
	for i := 0; i < t.NumField(); i++ {
		if !reflect.DeepEqual(vx.Field(i).Interface(), vy.Field(i).Interface()) {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}
