package iana

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Encode returns the snapshot of d. The output depends only on d, so the
// committed snapshot can be checked against a fresh generation.
func Encode(d *Data) ([]byte, error) {
	e := &encoder{strs: map[string]uint32{}, people: map[string]uint16{}}
	e.blob = append(e.blob, 0) // ref 0: the empty string
	if len(d.Records) == 0 {
		return nil, portolan.Errorf(portolan.EINVALID, "no records to encode")
	}
	for i := range d.Records {
		if err := e.record(&d.Records[i], d.RangeForm[i]); err != nil {
			return nil, err
		}
	}
	e.portIndex(d.Records)
	e.nameIndex(d.Records)

	meta := le32s(e.str(d.Updated), e.str(d.Source), uint32(len(d.Records)), uint32(len(e.peopleTab)/personSize),
		uint32(len(e.refs)/refSize), uint32(len(e.segs)/segSize), uint32(len(e.names)/nameSize), uint32(len(e.hash)/4))
	sections := [nSection][]byte{meta, e.blob, e.peopleTab, e.refs, e.recs, e.order, e.segs, e.portseg, e.names, e.hash}
	out := make([]byte, headerSize)
	copy(out, magic)
	binary.LittleEndian.PutUint32(out[8:], version)
	binary.LittleEndian.PutUint32(out[16:], nSection)
	for i, s := range sections {
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		binary.LittleEndian.PutUint32(out[20+8*i:], uint32(len(out)))
		binary.LittleEndian.PutUint32(out[24+8*i:], uint32(len(s)))
		out = append(out, s...)
	}
	binary.LittleEndian.PutUint32(out[12:], crc32.ChecksumIEEE(out[headerSize:]))
	return out, nil
}

type encoder struct {
	blob      []byte
	strs      map[string]uint32
	people    map[string]uint16
	peopleTab []byte
	refs      []byte
	recs      []byte
	order     []byte
	nOrder    int
	runs      map[string]uint32
	segs      []byte
	portseg   []byte
	names     []byte
	hash      []byte
}

func le32s(vs ...uint32) []byte {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

func (e *encoder) str(s string) uint32 {
	if s == "" {
		return 0
	}
	if r, ok := e.strs[s]; ok {
		return r
	}
	r := uint32(len(e.blob))
	e.blob = binary.AppendUvarint(e.blob, uint64(len(s)))
	e.blob = append(e.blob, s...)
	e.strs[s] = r
	return r
}

func (e *encoder) person(p *portolan.Person) (uint16, error) {
	if p == nil {
		return 0, nil
	}
	if i, ok := e.people[p.ID]; ok {
		return i, nil
	}
	n := len(e.peopleTab)/personSize + 1
	if n > 0xffff {
		return 0, portolan.Errorf(portolan.EINVALID, "too many people for a snapshot")
	}
	e.peopleTab = append(e.peopleTab, le32s(e.str(p.ID), e.str(p.Name), e.str(p.Org), e.str(p.URI))...)
	e.people[p.ID] = uint16(n)
	return uint16(n), nil
}

func (e *encoder) record(s *portolan.Service, rangeForm bool) error {
	if len(s.Refs) > 255 {
		return portolan.Errorf(portolan.EINVALID, "record %q has %d references, more than a snapshot holds", s.Name, len(s.Refs))
	}
	a, err := e.person(s.Assignee)
	if err != nil {
		return err
	}
	c, err := e.person(s.Contact)
	if err != nil {
		return err
	}
	refStart := uint32(len(e.refs) / refSize)
	for _, r := range s.Refs {
		e.refs = append(e.refs, le32s(e.str(r.Type), e.str(r.Data))...)
	}
	b := le32s(e.str(s.Name), e.str(s.AliasOf), e.str(s.Description), e.str(s.Registered),
		e.str(s.Updated), e.str(s.Note), e.str(s.Unauthorized), e.str(s.ServiceCode))
	b = binary.LittleEndian.AppendUint16(b, a)
	b = binary.LittleEndian.AppendUint16(b, c)
	b = binary.LittleEndian.AppendUint32(b, refStart)
	var flags byte
	if s.HasPort {
		flags |= flagHasPort
	}
	if rangeForm {
		flags |= flagRangeForm
	}
	b = append(b, byte(len(s.Refs)), flags, byte(s.Proto), byte(s.Status))
	b = binary.LittleEndian.AppendUint16(b, uint16(s.Ports.Lo))
	b = binary.LittleEndian.AppendUint16(b, uint16(s.Ports.Hi))
	e.recs = append(e.recs, b...)
	return nil
}

// run stores the record list idx in order (once per distinct list) and
// returns its packed start<<8 | count.
func (e *encoder) run(idx []int) uint32 {
	if len(idx) == 0 {
		return 0
	}
	if len(idx) > maxRun {
		idx = idx[:maxRun]
	}
	key := make([]byte, 0, 4*len(idx))
	for _, i := range idx {
		key = binary.LittleEndian.AppendUint32(key, uint32(i))
	}
	if e.runs == nil {
		e.runs = map[string]uint32{}
	}
	if r, ok := e.runs[string(key)]; ok {
		return r
	}
	e.align(len(idx))
	r := uint32(e.nOrder)<<8 | uint32(len(idx))
	e.order = append(e.order, key...)
	e.nOrder += len(idx)
	e.runs[string(key)] = r
	return r
}

// align pads the order table so that a run of n entries starting at its
// end does not cross a multiple of RunAlign.
func (e *encoder) align(n int) {
	if e.nOrder%RunAlign+n > RunAlign {
		for e.nOrder%RunAlign != 0 {
			e.order = binary.LittleEndian.AppendUint32(e.order, 0)
			e.nOrder++
		}
	}
}

// portIndex builds, for every port, the records covering it (ranges too),
// sorted tcp, udp, sctp, dccp, no protocol; within a protocol single ports
// before ranges, primary names before aliases, then IANA's order.
func (e *encoder) portIndex(recs []portolan.Service) {
	cover := make([][]int, portolan.MaxPort+1)
	for i, s := range recs {
		if !s.HasPort {
			continue
		}
		for p := int(s.Ports.Lo); p <= int(s.Ports.Hi); p++ {
			cover[p] = append(cover[p], i)
		}
	}
	less := func(a, b int) int {
		x, y := &recs[a], &recs[b]
		if d := protoRank(uint8(x.Proto)) - protoRank(uint8(y.Proto)); d != 0 {
			return d
		}
		if d := b2i(!x.Ports.IsSingle()) - b2i(!y.Ports.IsSingle()); d != 0 {
			return d
		}
		if d := b2i(x.Status == portolan.Alias) - b2i(y.Status == portolan.Alias); d != 0 {
			return d
		}
		return a - b
	}
	segIDs := map[string]uint16{}
	e.segs = make([]byte, segSize) // segment 0: nothing on the port
	segIDs[string(e.segs)] = 0
	e.portseg = make([]byte, 0, 2*(portolan.MaxPort+1))
	var sub []int
	for p := range cover {
		l := cover[p]
		slices.SortFunc(l, less)
		seg := make([]byte, 0, segSize)
		seg = binary.LittleEndian.AppendUint32(seg, e.run(l))
		for _, q := range portolan.Protos {
			sub = sub[:0]
			for _, i := range l {
				if recs[i].Proto == q || recs[i].Proto == portolan.ProtoAny {
					sub = append(sub, i)
				}
			}
			seg = binary.LittleEndian.AppendUint32(seg, e.run(sub))
		}
		id, ok := segIDs[string(seg)]
		if !ok {
			id = uint16(len(e.segs) / segSize)
			e.segs = append(e.segs, seg...)
			segIDs[string(seg)] = id
		}
		e.portseg = binary.LittleEndian.AppendUint16(e.portseg, id)
	}
}

// nameIndex groups records by lower-case name (each group ordered by port,
// then protocol) and builds the hash table over the names.
func (e *encoder) nameIndex(recs []portolan.Service) {
	groups := map[string][]int{}
	for i, s := range recs {
		if s.Name != "" {
			k := strings.ToLower(s.Name)
			groups[k] = append(groups[k], i)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	size := 16
	for size < 2*len(keys) {
		size *= 2
	}
	slots := make([]uint32, size)
	for n, k := range keys {
		g := groups[k]
		slices.SortStableFunc(g, func(a, b int) int {
			x, y := &recs[a], &recs[b]
			if d := b2i(!x.HasPort) - b2i(!y.HasPort); d != 0 {
				return d
			}
			if d := int(x.Ports.Lo) - int(y.Ports.Lo); d != 0 {
				return d
			}
			return protoRank(uint8(x.Proto)) - protoRank(uint8(y.Proto))
		})
		if len(g) > maxRun {
			g = g[:maxRun] // no real name comes near: the most has 9 records
		}
		e.align(len(g))
		start := uint32(e.nOrder)
		for _, i := range g {
			e.order = binary.LittleEndian.AppendUint32(e.order, uint32(i))
		}
		e.nOrder += len(g)
		e.names = append(e.names, le32s(e.str(k), start, uint32(len(g)))...)
		h := nameHash(k) & uint32(size-1)
		for slots[h] != 0 {
			h = (h + 1) & uint32(size-1)
		}
		slots[h] = uint32(n + 1)
	}
	e.hash = le32s(slots...)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
