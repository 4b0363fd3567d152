package iana

// The snapshot is one little-endian binary file read in place: fixed-size
// tables for random access, strings deduplicated in one blob, and the lookup
// indexes (per-port answer runs, a name hash table) precomputed by the
// encoder, so a lookup touches a few bytes and nothing is decoded at start.
//
//	header   magic "PTLNSNAP", u32 version, u32 CRC-32 (IEEE) of all bytes
//	         after the header, u32 section count, then (u32 offset, u32 length)
//	         per section
//	meta     u32 refs to the updated date and source name; u32 counts of
//	         records, people, refs, segments, names, hash slots
//	blob     strings, each a uvarint length and its bytes; ref 0 is ""
//	people   16 bytes each: refs to id, name, org, uri
//	refs     8 bytes each: refs to type and data
//	records  48 bytes each (see the rec* offsets)
//	order    u32 record indices; every answer is a contiguous run of it,
//	         never crossing a multiple of RunAlign (padding fills the gaps)
//	segs     per segment 5 runs (u32 start<<8 | count), one per Proto value:
//	         ProtoAny (all records on the port), then tcp, udp, sctp, dccp
//	         (that protocol's records and the records without protocol)
//	portseg  u16 segment per port, 65,536 of them
//	names    12 bytes each: ref to the lower-case name, u32 start, u32 count
//	hash     u32 per slot: name index + 1, 0 for empty; nameHash of the
//	         lower-case name, linear probing
const (
	magic    = "PTLNSNAP"
	version  = 2 // 2: nameHash replaced FNV-1a in the name table
	nSection = 10

	secMeta = iota - 3
	secBlob
	secPeople
	secRefs
	secRecords
	secOrder
	secSegs
	secPortSeg
	secNames
	secHash

	headerSize = 8 + 4 + 4 + 4 + nSection*8
	metaSize   = 8 * 4
	personSize = 16
	refSize    = 8
	recSize    = 48
	segSize    = 5 * 4
	nameSize   = 12

	recName       = 0
	recAliasOf    = 4
	recDesc       = 8
	recRegistered = 12
	recUpdated    = 16
	recNote       = 20
	recUnauth     = 24
	recSC         = 28
	recAssignee   = 32 // u16 person index + 1
	recContact    = 34 // u16 person index + 1
	recRefStart   = 36 // u32
	recRefCount   = 40 // u8
	recFlags      = 41 // flagHasPort, flagRangeForm
	recProto      = 42
	recStatus     = 43
	recLo         = 44
	recHi         = 46

	flagHasPort   = 1 // the record has a number
	flagRangeForm = 2 // the number is written LO-HI with LO == HI

	maxRun = 255 // a run's count fits the low byte of its u32

	// RunAlign: no run crosses a multiple of RunAlign in the order table,
	// so a reader can decode the table lazily in blocks of RunAlign
	// entries and still hand out every run as one slice.
	RunAlign = 256
)

// nameHash hashes s as if it were lower-case ASCII, eight bytes a step
// (names are 1 to 15 bytes: one or two steps), then mixes the bits so that
// the low ones index the table well.
func nameHash(s string) uint32 {
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	for ; len(s) >= 8; s = s[8:] {
		h = hashStep(h, lower8(le64(s)))
	}
	if len(s) > 0 {
		h = hashStep(h, lower8(loadTail(s)))
	}
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return uint32(h)
}

func hashStep(h, x uint64) uint64 {
	h = (h ^ x) * 0xff51afd7ed558ccd
	return h ^ h>>29
}

const ones = 0x0101010101010101

// lower8 lower-cases the ASCII capitals among the eight bytes of x and
// leaves every other byte as it is: a byte's high bit is set in upper when
// the byte is ASCII, at least 'A' and not above 'Z'; shifted down it is 0x20.
func lower8(x uint64) uint64 {
	low7 := x & (0x7f * ones)
	upper := (low7 + (0x80-'A')*ones) &^ (low7 + (0x80-'Z'-1)*ones) &^ x & (0x80 * ones)
	return x | upper>>2
}

// le64 reads the first eight bytes of s, little-endian (one load).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// loadTail reads the one to seven bytes of s, little-endian, in at most
// three loads.
func loadTail(s string) uint64 {
	var x uint64
	var shift uint
	if len(s) >= 4 {
		x = uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
		s, shift = s[4:], 32
	}
	if len(s) >= 2 {
		x |= (uint64(s[0]) | uint64(s[1])<<8) << shift
		s, shift = s[2:], shift+16
	}
	if len(s) == 1 {
		x |= uint64(s[0]) << shift
	}
	return x
}

// protoRank orders records on a port: tcp, udp, sctp, dccp, then those
// without a protocol.
func protoRank(p uint8) int {
	if p == 0 {
		return 5
	}
	return int(p)
}
