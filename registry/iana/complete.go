package iana

import (
	"fmt"

	"github.com/portolan-dev/portolan"
)

// LastUserPort is the top of the User range: IANA assigns no port above it,
// and its registry lists every port up to it.
const LastUserPort = 49151

// CheckComplete says whether d is a whole release, judged by its own
// structure rather than by the parser, which accepts any well-formed part:
//   - IANA lists every port from 0 to 49151, as an assignment, a
//     reservation or an Unassigned range, so a release whose numbered records
//     leave a port out was cut short (records come in port order) or edited;
//   - TCP and UDP records come in near-equal numbers (6,606 and 6,356 in the
//     release of 2026-08-17), so one of them at less than half the other
//     means records were dropped.
//
// The error is EINVALID and says what is missing in one line.
func CheckComplete(d *Data) error {
	var seen [LastUserPort + 1]bool
	top := -1
	byProto := map[portolan.Proto]int{}
	for _, s := range d.Records {
		byProto[s.Proto]++
		if !s.HasPort {
			continue
		}
		hi := min(int(s.Ports.Hi), LastUserPort)
		for p := int(s.Ports.Lo); p <= hi; p++ {
			seen[p] = true
		}
		top = max(top, int(s.Ports.Hi))
	}
	if top < LastUserPort {
		return portolan.Errorf(portolan.EINVALID, "the records stop at port %d, not at %d as in every IANA release: the file is cut short", top, LastUserPort)
	}
	for p, ok := range seen {
		if !ok {
			return portolan.Errorf(portolan.EINVALID, "no record covers port %d: IANA lists every port 0-%d (assigned, reserved or unassigned), so records are missing", p, LastUserPort)
		}
	}
	tcp, udp := byProto[portolan.TCP], byProto[portolan.UDP]
	if tcp == 0 || udp == 0 || 2*min(tcp, udp) < max(tcp, udp) {
		return portolan.Errorf(portolan.EINVALID, "%s: IANA's releases hold about as many tcp as udp records, so records are missing", countsText(tcp, udp))
	}
	return nil
}

func countsText(tcp, udp int) string {
	return fmt.Sprintf("%s tcp and %s udp records", Thousands(tcp), Thousands(udp))
}

// Thousands writes n with commas between groups of three digits, as the
// messages about record counts do (14,533).
func Thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
