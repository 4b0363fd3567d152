package portolan

import (
	"fmt"
	"net/netip"
	"strings"
)

// CauseCode names one reason a port will not bind or connect, or one fact a
// server author should know about it. The CLI, the API and the MCP tools
// render the same codes.
type CauseCode string

// The causes, roughly in the order they matter.
const (
	CauseListener      CauseCode = "listener"          // a listening socket holds the port
	CauseTimeWait      CauseCode = "time-wait"         // only TIME_WAIT/closing sockets remain
	CauseOutgoing      CauseCode = "outgoing"          // the local end of a connection this host made
	CausePrivilege     CauseCode = "privilege"         // below ip_unprivileged_port_start without CAP_NET_BIND_SERVICE
	CauseBindFailed    CauseCode = "bind-failed"       // the bind failed and no socket explains it
	CauseLeased        CauseCode = "leased"            // a portolan lease holds the number
	CauseAssigned      CauseCode = "assigned"          // the organisation's registry assigns it
	CauseReserved      CauseCode = "kernel-reserved"   // in ip_local_reserved_ports
	CauseEphemeral     CauseCode = "ephemeral"         // in the ephemeral range: a client may take it
	CauseBrowserUnsafe CauseCode = "browser-unsafe"    // browsers refuse it
	CauseDNAT          CauseCode = "dnat"              // a DNAT rule (Docker's published port) takes its connections
	CausePublished     CauseCode = "published"         // a container publishes it (docker-proxy holds it, or DNAT forwards it)
	CauseOtherNetNS    CauseCode = "other-netns"       // held in another network namespace: no conflict here
	CauseOSService     CauseCode = "os-service"        // a system daemon usually holds it
	CauseRefused       CauseCode = "refused"           // connect: nothing listens on the address
	CauseNoAnswer      CauseCode = "no-answer"         // connect: no reply (a firewall drop, a dead host)
	CauseFamilySplit   CauseCode = "family-split"      // connect: the name's first address is not the one listened on
	CauseLoopbackOnly  CauseCode = "loopback-only"     // connect: the server listens on loopback, the client does not use it
	CauseNoName        CauseCode = "name-not-resolved" // connect: the name has no address
)

// Cause is one reason, as data: what it is, the facts it rests on and the
// fix. Blocks says whether it stops the bind (or connect); the others are
// warnings.
type Cause struct {
	Code    CauseCode         `json:"code"`
	Blocks  bool              `json:"blocks"`
	Summary string            `json:"summary"`
	Facts   map[string]string `json:"facts,omitempty"`
	Sockets []Socket          `json:"sockets,omitempty"`
	Fix     string            `json:"fix,omitempty"`
}

// BindTry is one bind tried the way a server would make it, without
// SO_REUSEADDR, and closed at once.
type BindTry struct {
	Proto Proto  `json:"protocol"`
	Addr  string `json:"address"` // 0.0.0.0, [::] (IPV6_V6ONLY) or [::] dual-stack
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// BindFacts are what ExplainBind judges: every socket on the port in every
// state, this host's ranges, the asking process's privilege, the store's
// records and the binds tried.
type BindFacts struct {
	Port        Port
	Proto       Proto // TCP, UDP, or ProtoAny for both
	Sockets     []Socket
	Host        HostRanges
	CanBindLow  bool // CAP_NET_BIND_SERVICE in the effective set
	Leases      []Lease
	Assignments []Assignment
	Tries       []BindTry
	// DNAT are the firewall's DNAT rules for the port (Docker's published
	// ports): connections to it go to a container, not to a server here.
	DNAT []string
	// Published are the containers that publish the port through DNAT
	// rules alone (no forwarder holds a socket), as their engine lists
	// them. A forwarder's socket says so in its owner's holder.
	Published []Published
	// Elsewhere are the listeners on the port in the host's other network
	// namespaces (containers, ip netns), each with its NetNS.
	Elsewhere []Socket
}

// BindReport is the answer of `portolan why PORT` and GET /v1/why/{port}.
type BindReport struct {
	Port     Port      `json:"port"`
	Proto    Proto     `json:"protocol"`
	WillBind bool      `json:"will_bind"`
	Causes   []Cause   `json:"causes"`
	Tries    []BindTry `json:"tries"`
}

// ExplainBind turns facts into causes, blocking ones first. The verdict is
// the tries' (they are proof); causes say why.
func ExplainBind(f BindFacts) BindReport {
	r := BindReport{Port: f.Port, Proto: f.Proto, WillBind: len(f.Tries) > 0, Causes: []Cause{}, Tries: f.Tries}
	for _, t := range f.Tries {
		r.WillBind = r.WillBind && t.OK
	}
	if r.Tries == nil {
		r.Tries = []BindTry{}
	}
	var listeners, closing, outgoing []Socket
	for _, s := range f.Sockets {
		switch {
		case s.Listening():
			listeners = append(listeners, s)
		case s.State == StateTimeWait || s.State == StateFinWait1 || s.State == StateFinWait2 ||
			s.State == StateClosing || s.State == StateLastAck:
			closing = append(closing, s)
		case s.Remote.IsValid():
			outgoing = append(outgoing, s)
		}
	}
	published := len(f.Published) > 0
	for _, s := range listeners {
		if s.Owner != nil && s.Owner.Holder != nil && s.Owner.Holder.Published != nil {
			r.Causes = append(r.Causes, publishedCause(f.Port, s.Owner.PID, s.Owner.Holder.Published, true))
			published = true
			continue
		}
		r.Causes = append(r.Causes, listenerCause(s))
	}
	if len(listeners) == 0 && len(outgoing) > 0 {
		c := Cause{Code: CauseOutgoing, Blocks: true, Sockets: outgoing,
			Summary: fmt.Sprintf("%d outgoing connection(s) use %d as their local port (first: %s -> %s).",
				len(outgoing), f.Port, outgoing[0].Local, outgoing[0].Remote),
			Facts: map[string]string{"ephemeral": f.Host.Ephemeral.String(), "in_ephemeral": fmt.Sprint(f.Host.InEphemeral(f.Port))},
			Fix: fmt.Sprintf("the kernel gave this port to a client; keep it for servers with "+
				"`sysctl -w net.ipv4.ip_local_reserved_ports=%d` (or `portolan lease --reserve-kernel`), then end the connection", f.Port)}
		r.Causes = append(r.Causes, c)
	}
	if len(listeners) == 0 && len(outgoing) == 0 && len(closing) > 0 {
		r.Causes = append(r.Causes, Cause{Code: CauseTimeWait, Blocks: true, Sockets: closing,
			Summary: fmt.Sprintf("only %d closing connection(s) (%s) remain on %d: a server restarted within a minute finds them.",
				len(closing), closing[0].State, f.Port),
			Fix: "set SO_REUSEADDR before bind (Go, Node and Python's socketserver do); or wait up to 60 s for TIME_WAIT to end"})
	}
	if f.Port < f.Host.UnprivilegedStart && !f.CanBindLow {
		r.Causes = append(r.Causes, Cause{Code: CausePrivilege, Blocks: true,
			Summary: fmt.Sprintf("%d is below ip_unprivileged_port_start (%d) and this process lacks CAP_NET_BIND_SERVICE.",
				f.Port, f.Host.UnprivilegedStart),
			Facts: map[string]string{"unprivileged_start": f.Host.UnprivilegedStart.String()},
			Fix:   "use a port at or above " + f.Host.UnprivilegedStart.String() + ", or grant the binary `setcap cap_net_bind_service=+ep`, or set AmbientCapabilities=CAP_NET_BIND_SERVICE in its unit"})
	}
	if !r.WillBind && len(r.Causes) == 0 {
		var errs []string
		for _, t := range f.Tries {
			if !t.OK {
				errs = append(errs, t.Proto.String()+" "+t.Addr+": "+t.Error)
			}
		}
		r.Causes = append(r.Causes, Cause{Code: CauseBindFailed, Blocks: true,
			Summary: "the bind failed and no socket in this network namespace explains it: " + strings.Join(errs, "; "),
			Fix:     fmt.Sprintf("another network namespace or a container may publish it (`portolan ls --netns all %d`, docker ps), or a security module refuses it", f.Port)})
	}
	for i := range f.Published {
		c := publishedCause(f.Port, 0, &f.Published[i], false)
		if len(f.DNAT) > 0 {
			c.Facts["rule"] = f.DNAT[0]
		}
		r.Causes = append(r.Causes, c)
	}
	for _, s := range f.Elsewhere {
		if s.Proto.Matches(f.Proto) {
			r.Causes = append(r.Causes, otherNetNSCause(s))
		}
	}
	for _, rule := range f.DNAT {
		if published {
			break // the published cause names the container
		}
		r.Causes = append(r.Causes, Cause{Code: CauseDNAT, Blocks: false,
			Summary: fmt.Sprintf("a DNAT rule sends connections from other hosts to port %d elsewhere (a container's published port): a server here binds, but they never reach it.", f.Port),
			Facts:   map[string]string{"rule": rule},
			Fix:     "unpublish the container's port (docker ps; docker rm -f or change -p), or choose another port"})
	}
	for _, l := range f.Leases {
		if l.Proto.Matches(f.Proto) {
			who := "no owner"
			if l.PID != 0 {
				who = fmt.Sprintf("pid %d", l.PID)
			}
			r.Causes = append(r.Causes, Cause{Code: CauseLeased,
				Summary: fmt.Sprintf("portolan lease %d holds %d (%s, label %q).", l.ID, l.Port, who, l.Label),
				Fix:     fmt.Sprintf("the lease's holder may bind it soon; `portolan release %d` if it is stale", l.Port)})
		}
	}
	for _, a := range f.Assignments {
		if a.Proto.Matches(f.Proto) {
			r.Causes = append(r.Causes, Cause{Code: CauseAssigned,
				Summary: fmt.Sprintf("%d/%s is assigned to %q (owner %q) in the port registry.", a.Port, a.Proto, a.Name, a.Owner),
				Fix:     "use the port assigned to your service (`portolan assignments`)"})
		}
	}
	if f.Host.InReserved(f.Port) {
		r.Causes = append(r.Causes, Cause{Code: CauseReserved,
			Summary: fmt.Sprintf("%d is in ip_local_reserved_ports: the kernel never gives it to clients, and an explicit bind works.", f.Port)})
	} else if f.Host.InEphemeral(f.Port) {
		r.Causes = append(r.Causes, Cause{Code: CauseEphemeral,
			Summary: fmt.Sprintf("%d lies in the ephemeral range %s: any outgoing connection may take it before your server starts.", f.Port, f.Host.Ephemeral),
			Fix:     fmt.Sprintf("reserve it: `sysctl -w net.ipv4.ip_local_reserved_ports=%d`, or choose a port below %d", f.Port, f.Host.Ephemeral.Lo)})
	}
	if d := OSService(f.Port); d != "" {
		r.Causes = append(r.Causes, Cause{Code: CauseOSService,
			Summary: fmt.Sprintf("%d is usually held by %s on Linux systems: a server here collides with it wherever that daemon runs.", f.Port, d),
			Fix:     "choose another port for your server, or stop the daemon where it is not needed"})
	}
	if BrowserRestricted(f.Port) {
		r.Causes = append(r.Causes, Cause{Code: CauseBrowserUnsafe,
			Summary: fmt.Sprintf("browsers refuse %d (ERR_UNSAFE_PORT): curl reaches a server there, Chrome and Firefox do not.", f.Port),
			Facts:   map[string]string{"source": UnsafePortsSource},
			Fix:     "serve web pages on another port"})
	}
	return r
}

// listenerCause says what a listener blocks: a wildcard blocks every
// address of its family (and, dual-stack, IPv4 too); one address blocks
// itself and the wildcard binds.
func listenerCause(s Socket) Cause {
	a := s.Local.Addr()
	who := "a process this user cannot see"
	if s.Owner != nil {
		who = fmt.Sprintf("%s (pid %d, user %s)", s.Owner.Name, s.Owner.PID, s.Owner.User)
	}
	c := Cause{Code: CauseListener, Blocks: true, Sockets: []Socket{s},
		Facts: map[string]string{"address": a.String(), "family": family(a), "scope": Scope(a)}}
	port := s.Local.Port()
	switch {
	case a.IsUnspecified() && a.Is6():
		c.Summary = fmt.Sprintf("%s/%s is held by %s on every IPv6 address (and, unless it set IPV6_V6ONLY, every IPv4 address).", s.Local, s.Proto, who)
	case a.IsUnspecified():
		c.Summary = fmt.Sprintf("%s/%s is held by %s on every IPv4 address: a dual-stack bind to [::]:%d fails too; an IPV6_V6ONLY bind to [::]:%d works.", s.Local, s.Proto, who, port, port)
	case a.Is4():
		other := "[::1]"
		c.Summary = fmt.Sprintf("%s/%s is held by %s on %s only: a bind to %s:%d works, a bind to 0.0.0.0:%d or a dual-stack [::]:%d fails.", s.Local, s.Proto, who, a, other, port, port, port)
	default:
		c.Summary = fmt.Sprintf("%s/%s is held by %s on %s only: a bind to 127.0.0.1:%d works, a bind to [::]:%d fails.", s.Local, s.Proto, who, a, port, port)
	}
	c.Fix = fmt.Sprintf("stop it (`portolan kill %d`), choose another port (`portolan free`), or bind only an address it does not hold", port)
	if s.Owner != nil {
		c.Facts["pid"] = fmt.Sprint(s.Owner.PID)
		c.Facts["process"] = s.Owner.Name
	}
	return c
}

// otherNetNSCause says that a listener in another network namespace is
// not in the way here, and how to reach it.
func otherNetNSCause(s Socket) Cause {
	ns := s.NetNS
	if ns == nil {
		ns = &NetNS{}
	}
	who := "a process this user cannot see"
	if s.Owner != nil {
		who = fmt.Sprintf("%s (pid %d)", s.Owner.Name, s.Owner.PID)
	}
	where := "network namespace " + ns.Label()
	if ns.Name != "" && ns.Context != "" && !strings.HasPrefix(ns.Context, "pid ") {
		where += " (" + ns.Context + ")"
	}
	port := s.Local.Port()
	reach := "`ip -n NAME addr`, `docker inspect`"
	if ns.Name != "" {
		reach = "`ip -n " + ns.Name + " addr`"
	}
	c := Cause{Code: CauseOtherNetNS, Sockets: []Socket{s},
		Summary: fmt.Sprintf("%s/%s is held in %s by %s: not a conflict for a bind here, and connections to this host's addresses do not reach it.",
			s.Local, s.Proto, where, who),
		Facts: map[string]string{"netns_inode": fmt.Sprint(ns.Inode), "address": s.Local.Addr().String()},
		Fix: fmt.Sprintf("to reach it, connect to the namespace's own address (%s) or publish the port from it "+
			"(`docker run -p %d:%d`, a DNAT rule); `portolan ls --netns all %d` lists it", reach, port, port, port)}
	if ns.Name != "" {
		c.Facts["netns"] = ns.Name
	}
	if ns.Context != "" {
		c.Facts["context"] = ns.Context
	}
	if s.Owner != nil {
		c.Facts["pid"] = fmt.Sprint(s.Owner.PID)
		c.Facts["process"] = s.Owner.Name
	}
	return c
}

func family(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "ipv4"
	}
	return "ipv6"
}

// Scope is how far a bind address reaches: "loopback", "link-local",
// "private", "all" (a wildcard) or "public" (one global address).
func Scope(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsUnspecified():
		return "all"
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	}
	return "public"
}

// ConnectTry is one address of a name, tried as a client would.
type ConnectTry struct {
	Addr   netip.AddrPort `json:"address"`
	Result string         `json:"result"` // connected, refused, no-answer, error
	Local  bool           `json:"local"`  // the address is this host's own
	Error  string         `json:"error,omitempty"`
	// Firewall is the rule of this host's firewall that drops it, when
	// the address is this host's own and the ruleset can be read.
	Firewall string `json:"firewall_rule,omitempty"`
}

// ConnectFacts are what ExplainConnect judges: the name's addresses in the
// order a client tries them, each try's result, and, for this host's own
// addresses, the listeners on the port.
type ConnectFacts struct {
	Host      string
	Port      Port
	Tries     []ConnectTry
	Listeners []Socket // listening sockets on Port here
	Firewall  string   // what the firewall says about a silent address, "" when unknown
}

// ConnectReport is the answer of `portolan why HOST:PORT`.
type ConnectReport struct {
	Host string `json:"host"`
	Port Port   `json:"port"`
	// Connects is true when the first address answers: a client that does
	// not fall back (Node before 20, many health checks) needs that.
	Connects bool         `json:"connects"`
	Causes   []Cause      `json:"causes"`
	Tries    []ConnectTry `json:"tries"`
}

// ExplainConnect turns connect facts into causes.
func ExplainConnect(f ConnectFacts) ConnectReport {
	r := ConnectReport{Host: f.Host, Port: f.Port, Causes: []Cause{}, Tries: f.Tries}
	if r.Tries == nil {
		r.Tries = []ConnectTry{}
	}
	if len(f.Tries) == 0 {
		r.Causes = append(r.Causes, Cause{Code: CauseNoName, Blocks: true,
			Summary: fmt.Sprintf("%q resolves to no address.", f.Host),
			Fix:     "check the name's spelling, /etc/hosts and the resolver (getent ahosts " + f.Host + ")"})
		return r
	}
	r.Connects = f.Tries[0].Result == "connected"
	var ok []ConnectTry
	for _, t := range f.Tries {
		if t.Result == "connected" {
			ok = append(ok, t)
		}
	}
	for i, t := range f.Tries {
		if t.Result == "connected" {
			continue
		}
		a := t.Addr.Addr()
		if t.Local && len(f.Listeners) > 0 && !listensOn(f.Listeners, a) {
			var on []string
			loopOnly := true
			for _, s := range f.Listeners {
				on = append(on, s.Local.Addr().String())
				loopOnly = loopOnly && s.Local.Addr().Unmap().IsLoopback()
			}
			at := strings.Join(on, " and ")
			switch {
			case a.IsLoopback() && loopOnly:
				order := "tries " + a.String()
				if i == 0 {
					order += " first"
				}
				c := Cause{Code: CauseFamilySplit, Blocks: i == 0,
					Summary: fmt.Sprintf("your client %s; the server listens on %s only.", order, at),
					Facts:   map[string]string{"client_address": a.String(), "listening_on": at},
					Fix:     fmt.Sprintf("connect to %s, or make the server bind both (:: dual-stack, or 127.0.0.1 and ::1)", f.Listeners[0].Local.Addr())}
				if len(ok) > 0 {
					c.Summary += fmt.Sprintf(" Clients that fall back reach %s; those that do not (Node before 20, many health checks) fail.", ok[0].Addr)
				}
				r.Causes = append(r.Causes, c)
			case loopOnly:
				r.Causes = append(r.Causes, Cause{Code: CauseLoopbackOnly, Blocks: true,
					Summary: fmt.Sprintf("the server listens on loopback (%s) only; your client uses %s.", at, a),
					Facts:   map[string]string{"client_address": a.String(), "listening_on": at},
					Fix:     "bind the server to " + a.String() + " or to every address (0.0.0.0 / ::), or connect to the loopback address from this host"})
			default:
				r.Causes = append(r.Causes, Cause{Code: CauseRefused, Blocks: true,
					Summary: fmt.Sprintf("the server listens on %s, not on %s.", at, a),
					Fix:     "bind the server to " + a.String() + " or to every address"})
			}
			continue
		}
		switch t.Result {
		case "refused":
			r.Causes = append(r.Causes, Cause{Code: CauseRefused, Blocks: i == 0 || len(ok) == 0,
				Summary: fmt.Sprintf("%s refused the connection: nothing listens there (or a firewall rejects it).", t.Addr),
				Fix:     "start the server, or check the port (`portolan why " + f.Port.String() + "` on that host)"})
		case "no-answer":
			fw := f.Firewall
			if t.Firewall != "" {
				fw = "dropped by this host's rule: " + t.Firewall
			} else if fw == "" {
				fw = "firewall unknown"
			}
			r.Causes = append(r.Causes, Cause{Code: CauseNoAnswer, Blocks: i == 0 || len(ok) == 0,
				Summary: fmt.Sprintf("%s did not answer: a firewall drops the packets, or the host is down (%s).", t.Addr, fw),
				Facts:   map[string]string{"firewall": fw},
				Fix:     "check the firewall on the path and on the host (nft list ruleset, iptables -S)"})
		default:
			r.Causes = append(r.Causes, Cause{Code: CauseRefused, Blocks: i == 0 || len(ok) == 0,
				Summary: fmt.Sprintf("%s: %s", t.Addr, t.Error)})
		}
	}
	return r
}

// listensOn reports whether a listener accepts connections to a: its
// address, or a wildcard of a's family (an IPv6 wildcard takes IPv4 too
// unless it is IPV6_V6ONLY, which the socket table does not show; it is
// counted as taking both).
func listensOn(ls []Socket, a netip.Addr) bool {
	for _, s := range ls {
		l := s.Local.Addr()
		if l == a || l.Unmap() == a.Unmap() || (l.IsUnspecified() && (l.Is6() || a.Is4())) {
			return true
		}
	}
	return false
}
