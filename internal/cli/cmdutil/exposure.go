package cmdutil

import (
	"context"
	"net"
	"net/netip"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/netfilter"
)

// StartFirewall starts reading this host's firewall in the background (an
// exec of nft, a few milliseconds) so that it overlaps the socket listing;
// the function returned waits for it.
func StartFirewall(ctx context.Context) func() *netfilter.Ruleset {
	done := make(chan *netfilter.Ruleset, 1)
	go func() { done <- netfilter.Read(ctx) }()
	var rs *netfilter.Ruleset
	return func() *netfilter.Ruleset {
		if rs == nil {
			rs = <-done
		}
		return rs
	}
}

// Exposures joins listeners with this host's addresses and its firewall,
// for `portolan exposure` and `ls --exposure`. rules returns the ruleset
// (StartFirewall); nil reads it when a listener reaches beyond loopback.
func Exposures(ctx context.Context, socks []portolan.Socket, rules func() *netfilter.Ruleset) []portolan.Exposure {
	addrs := HostAddrs()
	out := make([]portolan.Exposure, 0, len(socks))
	var rs *netfilter.Ruleset
	for _, s := range socks {
		a := s.Local.Addr()
		e := portolan.Exposure{Socket: s, Scope: portolan.Scope(a), Reach: portolan.ReachOf(a, addrs)}
		if e.Reach != portolan.ReachLoopback {
			if rs == nil && rules != nil {
				rs = rules()
			} else if rs == nil {
				rs = netfilter.Read(ctx)
			}
			fam := 6
			if a.Unmap().Is4() {
				fam = 4
			}
			r := rs.Check(s.Proto, portolan.Port(s.Local.Port()), fam)
			if r.Verdict == netfilter.Allow && fam == 6 && a.IsUnspecified() {
				// A dual-stack wildcard also takes IPv4: the wider verdict wins.
				if r4 := rs.Check(s.Proto, portolan.Port(s.Local.Port()), 4); r4.Verdict != netfilter.Deny {
					r = r4
				}
			}
			e.Firewall, e.Rule = string(r.Verdict), r.Rule
			if rs.Err != nil {
				e.Rule = "ruleset unreadable: " + rs.Err.Error()
			}
		}
		out = append(out, e)
	}
	return out
}

// HostAddrs are this host's interface addresses.
func HostAddrs() []netip.Addr {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	out := make([]netip.Addr, 0, len(as))
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}
