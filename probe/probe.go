// Package probe checks, waits for and scans TCP ports on hosts with plain
// connect() calls: no raw packets, so it works as any user, on loopback, on
// IPv6 and through every firewall the kernel itself applies.
//
// It parses port specs (22,80,443 / 8000-8100 / ssh,https / - / --top N) and
// targets (names with every resolved address, literals, CIDR blocks), runs
// connect probes with concurrency sized from RLIMIT_NOFILE and adapted to
// the round-trip time, and writes results as rows, JSON lines, nmap's
// grepable format or nmap's XML. It imports no other adapter: service names
// and socket owners come in through function fields.
package probe

import (
	"net/netip"
	"time"

	"github.com/portolan-dev/portolan"
)

// State is what a connect probe learned about a port.
type State uint8

const (
	Pending  State = iota // not probed yet
	Open                  // the handshake completed
	Closed                // refused: the host answered with a reset
	Filtered              // no answer in time, or an ICMP unreachable
	Error                 // the probe could not be made (no route, bad address)
)

var stateNames = [...]string{"pending", "open", "closed", "filtered", "error"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state?"
}

// MarshalText makes states read as words in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a state name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if string(b) == n {
			*s = State(i)
			return nil
		}
	}
	return portolan.Errorf(portolan.EINVALID, "state %q is not one of open, closed, filtered, error", b)
}

// Result is one probe of one address and port. Target is the name the user
// gave (a host name, a literal or a CIDR block) so a host name's v4 and v6
// results stay together. Service, CommonUses and Process are filled by the
// caller (the CLI) from the registry and the socket inventory.
type Result struct {
	Target  string         `json:"target"`
	Addr    netip.AddrPort `json:"address"`
	Port    portolan.Port  `json:"port"`
	Proto   portolan.Proto `json:"protocol"`
	State   State          `json:"state"`
	Reason  string         `json:"reason"` // nmap's reason words: syn-ack, conn-refused, no-response, host-unreach, ...
	RTT     time.Duration  `json:"-"`
	RTTms   float64        `json:"rtt_ms,omitempty"`
	Banner  string         `json:"banner,omitempty"`
	Error   string         `json:"error,omitempty"`
	Service string         `json:"service,omitempty"` // the IANA primary name for the port/tcp
	// CommonUses are the curated de-facto uses of the port (never IANA).
	CommonUses []string          `json:"common_uses,omitempty"`
	Process    *portolan.Process `json:"process,omitempty"` // the owner, for this host's own addresses
	Attempts   int               `json:"attempts,omitempty"`
}

// Probe is one address and port to connect to, with the target it came from.
type Probe struct {
	Target string
	Addr   netip.AddrPort
}
