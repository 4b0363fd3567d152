package iana

import (
	"hash/crc32"

	"github.com/portolan-dev/portolan"
)

// Snapshot reads an encoded snapshot in place. It copies nothing: strings it
// returns share the snapshot's memory, so an embedded snapshot costs no heap.
type Snapshot struct {
	blob, people, refs, recs, order, segs, portseg, names, hash string

	updated, source string
	nRecords        int
}

func u16(s string, i int) uint32 { return uint32(s[i]) | uint32(s[i+1])<<8 }
func u32(s string, i int) uint32 {
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// Open checks s's header and section sizes and returns a reader over it. With
// verify, it also checks the CRC and every reference inside, so that a
// damaged or foreign file is refused here rather than failing later; the
// embedded snapshot, checked by its tests, skips that.
func Open(s string, verify bool) (*Snapshot, error) {
	bad := func(what string) (*Snapshot, error) {
		return nil, portolan.Errorf(portolan.EINVALID, "not a portolan snapshot: %s", what)
	}
	if len(s) < headerSize || s[:8] != magic {
		return bad("no PTLNSNAP header")
	}
	if v := u32(s, 8); v != version {
		return bad("unknown version")
	}
	if u32(s, 16) != nSection {
		return bad("wrong section count")
	}
	if verify && crc32.ChecksumIEEE([]byte(s[headerSize:])) != u32(s, 12) {
		return bad("checksum mismatch")
	}
	var sec [nSection]string
	for i := range sec {
		off, n := int(u32(s, 20+8*i)), int(u32(s, 24+8*i))
		if off < headerSize || off > len(s) || n > len(s)-off {
			return bad("section out of bounds")
		}
		sec[i] = s[off : off+n]
	}
	if len(sec[secMeta]) != metaSize {
		return bad("bad meta section")
	}
	m := sec[secMeta]
	sn := &Snapshot{
		blob: sec[secBlob], people: sec[secPeople], refs: sec[secRefs], recs: sec[secRecords],
		order: sec[secOrder], segs: sec[secSegs], portseg: sec[secPortSeg], names: sec[secNames], hash: sec[secHash],
		nRecords: int(u32(m, 8)),
	}
	want := []struct {
		got, n, size int
	}{
		{len(sn.recs), sn.nRecords, recSize},
		{len(sn.people), int(u32(m, 12)), personSize},
		{len(sn.refs), int(u32(m, 16)), refSize},
		{len(sn.segs), int(u32(m, 20)), segSize},
		{len(sn.names), int(u32(m, 24)), nameSize},
		{len(sn.hash), int(u32(m, 28)), 4},
		{len(sn.portseg), portolan.MaxPort + 1, 2},
	}
	for _, w := range want {
		if w.got != w.n*w.size {
			return bad("section size does not match its count")
		}
	}
	if len(sn.order)%4 != 0 || len(sn.blob) == 0 || sn.blob[0] != 0 {
		return bad("bad order or string section")
	}
	if h := len(sn.hash) / 4; h == 0 || h&(h-1) != 0 {
		return bad("hash table size is not a power of two")
	}
	if verify {
		if err := sn.check(); err != nil {
			return bad(err.Error())
		}
	}
	var ok bool
	if sn.updated, ok = sn.strOK(u32(m, 0)); !ok {
		return bad("bad updated date")
	}
	if sn.source, ok = sn.strOK(u32(m, 4)); !ok {
		return bad("bad source")
	}
	return sn, nil
}

// strOK decodes the blob string at ref, reporting false when it runs off
// the blob.
func (sn *Snapshot) strOK(ref uint32) (string, bool) {
	i := int(ref)
	var n, shift uint
	for ; ; shift += 7 {
		if i >= len(sn.blob) || shift > 28 {
			return "", false
		}
		c := sn.blob[i]
		i++
		n |= uint(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if n > uint(len(sn.blob)-i) {
		return "", false
	}
	return sn.blob[i : i+int(n)], true
}

func (sn *Snapshot) str(ref uint32) string {
	s, _ := sn.strOK(ref)
	return s
}

// check validates every reference, so lookups never index out of bounds.
func (sn *Snapshot) check() error {
	fail := func(what string) error { return portolan.Errorf(portolan.EINVALID, "%s", what) }
	nPeople, nRefs, nOrder := len(sn.people)/personSize, len(sn.refs)/refSize, len(sn.order)/4
	for i := 0; i < len(sn.people); i += 4 {
		if _, ok := sn.strOK(u32(sn.people, i)); !ok {
			return fail("bad person string")
		}
	}
	for i := 0; i < len(sn.refs); i += 4 {
		if _, ok := sn.strOK(u32(sn.refs, i)); !ok {
			return fail("bad reference string")
		}
	}
	for r := 0; r < sn.nRecords; r++ {
		b := r * recSize
		for f := 0; f < recAssignee; f += 4 {
			if _, ok := sn.strOK(u32(sn.recs, b+f)); !ok {
				return fail("bad record string")
			}
		}
		if int(u16(sn.recs, b+recAssignee)) > nPeople || int(u16(sn.recs, b+recContact)) > nPeople {
			return fail("bad person index")
		}
		if int(u32(sn.recs, b+recRefStart))+int(sn.recs[b+recRefCount]) > nRefs {
			return fail("bad reference range")
		}
		if sn.recs[b+recProto] > byte(portolan.DCCP) || sn.recs[b+recStatus] > byte(portolan.NameOnly) || u16(sn.recs, b+recLo) > u16(sn.recs, b+recHi) {
			return fail("bad record field")
		}
	}
	for i := 0; i < len(sn.order); i += 4 {
		if int(u32(sn.order, i)) >= sn.nRecords {
			return fail("bad record index")
		}
	}
	runOK := func(v uint32) bool {
		start, n := int(v>>8), int(v&0xff)
		return start+n <= nOrder && start%RunAlign+n <= RunAlign
	}
	for i := 0; i < len(sn.segs); i += 4 {
		if !runOK(u32(sn.segs, i)) {
			return fail("bad port run")
		}
	}
	nSegs := len(sn.segs) / segSize
	for i := 0; i < len(sn.portseg); i += 2 {
		if int(u16(sn.portseg, i)) >= nSegs {
			return fail("bad port segment")
		}
	}
	for i := 0; i < len(sn.names); i += nameSize {
		start, n := int(u32(sn.names, i+4)), int(u32(sn.names, i+8))
		if _, ok := sn.strOK(u32(sn.names, i)); !ok || start+n > nOrder || n > maxRun || start%RunAlign+n > RunAlign {
			return fail("bad name entry")
		}
	}
	nNames := len(sn.names) / nameSize
	for i := 0; i < len(sn.hash); i += 4 {
		if int(u32(sn.hash, i)) > nNames {
			return fail("bad hash slot")
		}
	}
	return nil
}

// Updated is the registry's own date, YYYY-MM-DD.
func (sn *Snapshot) Updated() string { return sn.updated }

// Source names the file the snapshot was made from.
func (sn *Snapshot) Source() string { return sn.source }

// Len is the number of records.
func (sn *Snapshot) Len() int { return sn.nRecords }

// OrderLen is the length of the order table that runs index.
func (sn *Snapshot) OrderLen() int { return len(sn.order) / 4 }

// OrderAt returns the record index at position i of the order table.
func (sn *Snapshot) OrderAt(i int) int { return int(u32(sn.order, 4*i)) }

// PortRun returns the run of the order table holding the records on port p
// for proto (ProtoAny: every protocol), ranges included.
func (sn *Snapshot) PortRun(p portolan.Port, proto portolan.Proto) (start, n int) {
	if proto > portolan.DCCP {
		return 0, 0
	}
	seg := int(u16(sn.portseg, 2*int(p)))
	v := u32(sn.segs, seg*segSize+4*int(proto))
	return int(v >> 8), int(v & 0xff)
}

// NameRun returns the run of the order table holding the records named
// name, compared case-insensitively.
func (sn *Snapshot) NameRun(name string) (start, n int) {
	mask := uint32(len(sn.hash)/4 - 1)
	for h := nameHash(name) & mask; ; h = (h + 1) & mask {
		v := u32(sn.hash, 4*int(h))
		if v == 0 {
			return 0, 0
		}
		e := int(v-1) * nameSize
		if equalFoldASCII(sn.str(u32(sn.names, e)), name) {
			return int(u32(sn.names, e+4)), int(u32(sn.names, e+8))
		}
	}
}

// equalFoldASCII compares a lower-case key with s ignoring ASCII case,
// eight bytes a step.
func equalFoldASCII(lower, s string) bool {
	if len(lower) != len(s) {
		return false
	}
	for ; len(s) >= 8; lower, s = lower[8:], s[8:] {
		if le64(lower) != lower8(le64(s)) {
			return false
		}
	}
	return len(s) == 0 || loadTail(lower) == lower8(loadTail(s))
}

// Record materializes record i. Strings share the snapshot; Refs and the
// people are new for each call.
func (sn *Snapshot) Record(i int) portolan.Service {
	b := i * recSize
	r := sn.recs[b : b+recSize]
	s := portolan.Service{
		Name:         sn.str(u32(r, recName)),
		Proto:        portolan.Proto(r[recProto]),
		Ports:        portolan.Range{Lo: portolan.Port(u16(r, recLo)), Hi: portolan.Port(u16(r, recHi))},
		HasPort:      r[recFlags]&flagHasPort != 0,
		Status:       portolan.Status(r[recStatus]),
		AliasOf:      sn.str(u32(r, recAliasOf)),
		Description:  sn.str(u32(r, recDesc)),
		Assignee:     sn.person(u16(r, recAssignee)),
		Contact:      sn.person(u16(r, recContact)),
		Registered:   sn.str(u32(r, recRegistered)),
		Updated:      sn.str(u32(r, recUpdated)),
		Note:         sn.str(u32(r, recNote)),
		Unauthorized: sn.str(u32(r, recUnauth)),
		ServiceCode:  sn.str(u32(r, recSC)),
	}
	if n := int(r[recRefCount]); n > 0 {
		s.Refs = make([]portolan.Ref, n)
		start := int(u32(r, recRefStart))
		for k := range s.Refs {
			o := (start + k) * refSize
			s.Refs[k] = portolan.Ref{Type: sn.str(u32(sn.refs, o)), Data: sn.str(u32(sn.refs, o+4))}
		}
	}
	return s
}

func (sn *Snapshot) person(idx uint32) *portolan.Person {
	if idx == 0 {
		return nil
	}
	o := int(idx-1) * personSize
	return &portolan.Person{
		ID:   sn.str(u32(sn.people, o)),
		Name: sn.str(u32(sn.people, o+4)),
		Org:  sn.str(u32(sn.people, o+8)),
		URI:  sn.str(u32(sn.people, o+12)),
	}
}

// Data materializes every record, in IANA's order.
func (sn *Snapshot) Data() *Data {
	d := &Data{Updated: sn.updated, Source: sn.source, Records: make([]portolan.Service, sn.nRecords)}
	for i := range d.Records {
		d.Records[i] = sn.Record(i)
		if sn.recs[i*recSize+recFlags]&flagRangeForm != 0 {
			if d.RangeForm == nil {
				d.RangeForm = map[int]bool{}
			}
			d.RangeForm[i] = true
		}
	}
	return d
}

// Decode opens an encoded snapshot, verifying it, and materializes it.
func Decode(b []byte) (*Data, error) {
	sn, err := Open(string(b), true)
	if err != nil {
		return nil, err
	}
	return sn.Data(), nil
}

// NameDesc returns record i's name and description without decoding the
// rest of it (for search).
func (sn *Snapshot) NameDesc(i int) (name, desc string) {
	b := i * recSize
	return sn.str(u32(sn.recs, b+recName)), sn.str(u32(sn.recs, b+recDesc))
}

// Status returns record i's status.
func (sn *Snapshot) Status(i int) portolan.Status {
	return portolan.Status(sn.recs[i*recSize+recStatus])
}
