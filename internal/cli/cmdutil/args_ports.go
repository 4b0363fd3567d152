package cmdutil

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/lease"
	"github.com/spf13/cobra"
)

// ParsePortProto parses "5432/tcp"; the protocol is required because an
// assignment is per protocol (assign, unassign).
func ParsePortProto(s string) (portolan.Port, portolan.Proto, error) {
	ps, protos, ok := strings.Cut(s, "/")
	p, err := portolan.ParsePort(ps)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, portolan.Errorf(portolan.EINVALID, "%q needs a protocol: want PORT/PROTO, e.g. %s/tcp", s, ps)
	}
	proto, err := portolan.ParseProto(protos)
	if err != nil || proto == portolan.ProtoAny {
		return 0, 0, portolan.Errorf(portolan.EINVALID, "protocol %q in %q is not one of tcp, udp, sctp, dccp", protos, s)
	}
	return p, proto, nil
}

// CurrentUser names the person running the command, for the audit log.
func CurrentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// ParseLeaseProto parses the lease verbs' --proto (free, lease, run): tcp,
// udp, or both (also "any").
func ParseLeaseProto(s string) (portolan.Proto, error) {
	switch s {
	case "both", "any":
		return portolan.ProtoAny, nil
	case "tcp":
		return portolan.TCP, nil
	case "udp":
		return portolan.UDP, nil
	}
	return 0, FlagErrorf("--proto %q is not one of tcp, udp, both", s)
}

// AddLeaseFlags adds the flags of a lease request that free and lease share
// (-n, --range, --proto, --allow-assigned, --allow-unsafe), bound to r. The
// func it returns, called in RunE, reads --proto into r and refuses an empty
// --range.
func AddLeaseFlags(cmd *cobra.Command, r *portolan.LeaseRequest, rangeHelp string) (parse func() error) {
	var proto string
	fl := cmd.Flags()
	fl.IntVarP(&r.Count, "count", "n", 1, "how many distinct ports")
	fl.StringVar(&r.Pool, "range", "user", rangeHelp)
	fl.StringVar(&proto, "proto", "both", "free for tcp, udp or both")
	fl.BoolVar(&r.Assigned, "allow-assigned", false, "allow ports IANA assigns to a service")
	fl.BoolVar(&r.Unsafe, "allow-unsafe", false, "allow ports browsers refuse (6000, 10080, ...) or an OS service usually holds (macOS AirPlay 5000, 7000)")
	return func() error {
		p, err := ParseLeaseProto(proto)
		if err != nil {
			return err
		}
		r.Proto = p
		return CheckRange(cmd, r.Pool)
	}
}

// CheckCount refuses -n outside 1-lease.MaxCount before anything is asked.
func CheckCount(n int) error {
	if n < 1 || n > lease.MaxCount {
		return FlagErrorf("-n %d is out of range: want 1-%d", n, lease.MaxCount)
	}
	return nil
}

// CheckRange refuses an empty --range, which the allocator would read as
// the default pool: free, lease and run share the flag.
func CheckRange(cmd *cobra.Command, pool string) error {
	if cmd.Flags().Changed("range") && pool == "" {
		return FlagErrorf("--range is empty: want user, dynamic or LO-HI, e.g. 20000-20999")
	}
	return nil
}

// LeaseColumns head a table of LeaseRow rows.
var LeaseColumns = []string{"port", "proto", "pid", "label", "expires"}

// LeaseRow is a lease as a table row, the same in `leases` and in a
// lookup's Leases section: on a terminal "in 9m59s" or what ends the lease,
// on a pipe the RFC 3339 time; "-" for no pid, label or expiry.
func LeaseRow(l portolan.Lease, now time.Time, tty bool) []string {
	pid, exp := "-", "-"
	if l.PID != 0 {
		pid = strconv.Itoa(l.PID)
	}
	switch {
	case l.Expires.IsZero() && tty && l.PID != 0:
		exp = "when pid " + pid + " exits"
	case l.Expires.IsZero() && tty:
		exp = "on release"
	case l.Expires.IsZero():
	case tty:
		exp = "in " + l.Expires.Sub(now).Round(time.Second).String()
	default:
		exp = l.Expires.UTC().Format(time.RFC3339)
	}
	label := l.Label
	if label == "" {
		label = "-"
	}
	return []string{l.Port.String(), l.Proto.Label(), pid, label, exp}
}

// PrintLeases writes leases as one port a line, or as JSON (free, lease).
func PrintLeases(io *iostreams.IOStreams, ls []portolan.Lease, asJSON bool) error {
	if asJSON {
		return WriteJSON(io, ls)
	}
	for _, l := range ls {
		fmt.Fprintln(io.Out, l.Port)
	}
	return nil
}

// ProtoText is the protocol of a record, or "-" for records without one.
func ProtoText(p portolan.Proto) string {
	if p == portolan.ProtoAny {
		return "-"
	}
	return p.String()
}

// PortsText is a record's "6000-6063", or "-" for a name without a port.
func PortsText(s portolan.Service) string {
	if !s.HasPort {
		return "-"
	}
	return s.Ports.String()
}

// StatusText is a record's status, naming the primary of an alias.
func StatusText(s portolan.Service) string {
	if s.Status == portolan.Alias && s.AliasOf != "" {
		return "alias of " + s.AliasOf
	}
	return s.Status.String()
}
