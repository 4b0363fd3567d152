// Package why gathers the facts behind `portolan why`: the sockets on a
// port in every state, this host's ranges, the asking process's privilege,
// the store's leases and assignments, and real binds tried the way a
// server would make them; portolan.ExplainBind turns them into causes.
package why

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
)

// Sources are where the facts come from; nil functions are skipped, so the
// CLI and the API pass what they have.
type Sources struct {
	// Sockets lists every socket whose local port is p, in every state,
	// with owners (sockets.List in the binary).
	Sockets func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error)
	// Elsewhere lists the listeners on p in the host's other network
	// namespaces (netns.Elsewhere in the binary).
	Elsewhere func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error)
	// Host returns this host's ranges.
	Host func() (portolan.HostRanges, error)
	// Leases and Assignments return the store's records on p.
	Leases      func(ctx context.Context, p portolan.Port) ([]portolan.Lease, error)
	Assignments func(ctx context.Context, p portolan.Port) ([]portolan.Assignment, error)
	// Firewall says what this host's firewall does with a new connection
	// from another host to p on family 4 or 6: "allow", "deny",
	// "docker-dnat" or "unknown", and the rule.
	Firewall func(ctx context.Context, proto portolan.Proto, p portolan.Port, family int) (verdict, rule string)
	// Containers completes the owners of the port's sockets with what
	// they are (a docker-proxy's container) and returns the containers
	// that publish p through DNAT rules alone (docker.Engines.Published
	// in the binary).
	Containers func(ctx context.Context, socks []portolan.Socket, p portolan.Port, proto portolan.Proto) []portolan.Published
}

// Bind explains whether a server can bind p here. proto is TCP, UDP or
// ProtoAny (both).
func Bind(ctx context.Context, src Sources, p portolan.Port, proto portolan.Proto) (portolan.BindReport, error) {
	if p == 0 {
		return portolan.BindReport{}, portolan.Errorf(portolan.EINVALID, "port 0 means \"kernel, choose\": want a port 1-65535")
	}
	f := portolan.BindFacts{Port: p, Proto: proto, CanBindLow: CanBindLow()}
	var err error
	if src.Host != nil {
		if f.Host, err = src.Host(); err != nil {
			return portolan.BindReport{}, err
		}
	}
	// The firewall is an exec of nft: read it while the rest is gathered.
	var dnat chan []string
	if src.Firewall != nil {
		dnat = make(chan []string, 1)
		go func() {
			var rules []string
			for _, pr := range []portolan.Proto{portolan.TCP, portolan.UDP} {
				if pr.Matches(proto) {
					if v, rule := src.Firewall(ctx, pr, p, 4); v == "docker-dnat" {
						rules = append(rules, rule)
					}
				}
			}
			dnat <- rules
		}()
	}
	// The binds come first: they are the proof, and they must not see a
	// socket this process opened for another fact.
	f.Tries = TryBinds(p, proto)
	if src.Sockets != nil {
		if f.Sockets, err = src.Sockets(ctx, p, proto); err != nil {
			return portolan.BindReport{}, err
		}
	}
	if src.Elsewhere != nil {
		// Another namespace is context, not proof: one that cannot be
		// read leaves the answer about this one intact.
		f.Elsewhere, _ = src.Elsewhere(ctx, p, proto)
	}
	if src.Leases != nil {
		if f.Leases, err = src.Leases(ctx, p); err != nil {
			return portolan.BindReport{}, err
		}
	}
	if src.Assignments != nil {
		if f.Assignments, err = src.Assignments(ctx, p); err != nil {
			return portolan.BindReport{}, err
		}
	}
	if src.Containers != nil {
		f.Published = src.Containers(ctx, f.Sockets, p, proto)
	}
	if dnat != nil {
		f.DNAT = <-dnat
	}
	return portolan.ExplainBind(f), nil
}

// TryBinds binds p the three ways servers do, for each protocol asked:
// 0.0.0.0, [::] with IPV6_V6ONLY, and [::] dual-stack (Go's and Node's
// default); TCP also listens. No SO_REUSEADDR, so a TIME_WAIT socket
// counts. Each socket is closed at once.
func TryBinds(p portolan.Port, proto portolan.Proto) []portolan.BindTry {
	var out []portolan.BindTry
	for _, pr := range []portolan.Proto{portolan.TCP, portolan.UDP} {
		if !pr.Matches(proto) {
			continue
		}
		both := true // 0.0.0.0 and [::] IPV6_V6ONLY both bound
		for _, w := range []struct {
			family, v6only int
			label          string
		}{{syscall.AF_INET, -1, "0.0.0.0"}, {syscall.AF_INET6, 1, "[::] IPV6_V6ONLY"}, {syscall.AF_INET6, 0, "[::] dual-stack"}} {
			t := try(pr, p, w.family, w.v6only, w.label)
			// Some kernels (gVisor) free a closed socket's port a moment
			// later. Only the dual-stack bind can meet this run's own
			// sockets, and when both single-family binds worked nothing
			// else explains a conflict, so it is tried again briefly.
			for i := 0; w.v6only == 0 && !t.OK && both && i < 10 && strings.Contains(t.Error, "in use"); i++ {
				time.Sleep(time.Millisecond)
				t = try(pr, p, w.family, w.v6only, w.label)
			}
			both = both && t.OK
			out = append(out, t)
		}
	}
	return out
}

// CanBindLow reports whether this process has CAP_NET_BIND_SERVICE in its
// effective set (/proc/self/status CapEff, bit 10). Root without it cannot
// bind below ip_unprivileged_port_start either.
func CanBindLow() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return os.Geteuid() == 0
	}
	return capEffHas(string(b), 10)
}

func capEffHas(status string, bit uint) bool {
	for _, l := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<bit) != 0
		}
	}
	return false
}

// Resolver resolves a name to its addresses in the order clients try
// them (net.DefaultResolver reads /etc/hosts first).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Connect explains whether a client can connect to host:port: every
// address of the name is tried with timeout, and this host's own addresses
// are compared with its listeners.
func Connect(ctx context.Context, src Sources, res Resolver, host string, p portolan.Port, timeout time.Duration) (portolan.ConnectReport, error) {
	f := portolan.ConnectFacts{Host: host, Port: p}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, _ = res.LookupNetIP(ctx, "ip", host) // a name that does not resolve is a cause
	}
	own := ownAddrs()
	local := false
	for _, a := range addrs {
		a = a.Unmap()
		t := portolan.ConnectTry{Addr: netip.AddrPortFrom(a, uint16(p)), Local: a.IsLoopback() || own[a]}
		local = local || t.Local
		c, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", t.Addr.String())
		switch {
		case err == nil:
			c.Close()
			t.Result = "connected"
		case errors.Is(err, syscall.ECONNREFUSED):
			t.Result = "refused"
		case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
			t.Result = "no-answer"
		default:
			t.Result, t.Error = "error", err.Error()
		}
		f.Tries = append(f.Tries, t)
	}
	for i, t := range f.Tries {
		if t.Result == "no-answer" && t.Local && src.Firewall != nil {
			fam := 6
			if t.Addr.Addr().Is4() {
				fam = 4
			}
			if v, rule := src.Firewall(ctx, portolan.TCP, p, fam); v == "deny" {
				f.Tries[i].Firewall = rule
			} else if v == "unknown" && f.Firewall == "" {
				f.Firewall = "firewall unknown"
			}
		}
	}
	if local && src.Sockets != nil {
		socks, err := src.Sockets(ctx, p, portolan.TCP)
		if err != nil {
			return portolan.ConnectReport{}, err
		}
		for _, s := range socks {
			if s.Listening() {
				f.Listeners = append(f.Listeners, s)
			}
		}
	}
	return portolan.ExplainConnect(f), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ownAddrs are this host's interface addresses.
func ownAddrs() map[netip.Addr]bool {
	m := map[netip.Addr]bool{}
	as, err := net.InterfaceAddrs()
	if err != nil {
		return m
	}
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			m[p.Addr().Unmap()] = true
		}
	}
	return m
}
