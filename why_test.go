package portolan

import (
	"net/netip"
	"strings"
	"testing"
)

func codes(r BindReport) map[CauseCode]Cause {
	m := map[CauseCode]Cause{}
	for _, c := range r.Causes {
		m[c.Code] = c
	}
	return m
}

// ExplainBind is a pure function of its facts: each fact gives its cause,
// blocking causes come first, and the verdict is the tries'.
func TestExplainBind(t *testing.T) {
	host := HostRanges{Ephemeral: Range{Lo: 32768, Hi: 60999}, Reserved: []Range{{Lo: 40000, Hi: 40000}}, UnprivilegedStart: 1024}
	ok := []BindTry{{Proto: TCP, Addr: "0.0.0.0", OK: true}}
	bad := []BindTry{{Proto: TCP, Addr: "0.0.0.0", Error: "address already in use"}}
	r := ExplainBind(BindFacts{Port: 631, Proto: TCP, Host: host, Tries: bad})
	c := codes(r)
	if r.WillBind || !c[CausePrivilege].Blocks || c[CauseOSService].Blocks || r.Causes[0].Code != CausePrivilege {
		t.Errorf("631 without privilege: %+v", r)
	}
	if _, ok := c[CauseOSService]; !ok {
		t.Errorf("631: no os-service note: %+v", r.Causes)
	}
	r = ExplainBind(BindFacts{Port: 40000, Proto: TCP, Host: host, Tries: ok, CanBindLow: true})
	if c := codes(r); !r.WillBind || c[CauseReserved].Code == "" || c[CauseEphemeral].Code != "" {
		t.Errorf("40000 reserved: %+v", r)
	}
	r = ExplainBind(BindFacts{Port: 50000, Proto: TCP, Host: host, Tries: bad, CanBindLow: true})
	if c := codes(r); c[CauseBindFailed].Code == "" || c[CauseEphemeral].Code == "" {
		t.Errorf("50000 unexplained failure: %+v", r)
	}
	tw := Socket{Proto: TCP, Local: netip.MustParseAddrPort("127.0.0.1:5000"), Remote: netip.MustParseAddrPort("127.0.0.1:6000"), State: StateTimeWait}
	r = ExplainBind(BindFacts{Port: 5000, Proto: TCP, Host: host, Tries: bad, CanBindLow: true, Sockets: []Socket{tw}})
	if c := codes(r); c[CauseTimeWait].Code == "" || c[CauseOutgoing].Code != "" {
		t.Errorf("TIME_WAIT only: %+v", r)
	}
	if r := ExplainBind(BindFacts{Port: 6667, Host: host, Tries: ok, CanBindLow: true}); codes(r)[CauseBrowserUnsafe].Code == "" {
		t.Errorf("6667: no browser-unsafe note: %+v", r)
	}
}

// ExplainConnect with no address is the unresolved name; with the first
// address refused and a loopback listener on the other family, the split.
func TestExplainConnect(t *testing.T) {
	if r := ExplainConnect(ConnectFacts{Host: "nowhere.invalid", Port: 80}); r.Connects || r.Causes[0].Code != CauseNoName {
		t.Errorf("no address: %+v", r)
	}
	l := Socket{Proto: TCP, Local: netip.MustParseAddrPort("127.0.0.1:5173"), State: StateListen}
	r := ExplainConnect(ConnectFacts{Host: "localhost", Port: 5173, Listeners: []Socket{l}, Tries: []ConnectTry{
		{Addr: netip.MustParseAddrPort("[::1]:5173"), Result: "refused", Local: true},
		{Addr: netip.MustParseAddrPort("127.0.0.1:5173"), Result: "connected", Local: true},
	}})
	if r.Connects || len(r.Causes) != 1 || r.Causes[0].Code != CauseFamilySplit || !r.Causes[0].Blocks {
		t.Errorf("split: %+v", r)
	}
}

// A container's published port: held by docker-proxy it blocks and names
// the container instead of the proxy; forwarded by DNAT rules alone it
// warns, carries the rule, and replaces the bare dnat note.
func TestExplainBindPublished(t *testing.T) {
	host := HostRanges{Ephemeral: Range{Lo: 32768, Hi: 60999}, UnprivilegedStart: 1024}
	shop := &Container{Engine: "docker", ID: "816f37a6fa034c90293df1754afa66a21b84867c40421898a7f35d63d46f5510", Name: "shop-api-1",
		Image: "shop/api:1", Compose: &Compose{Project: "shop", Service: "api"}}
	pub := &Published{Via: "docker-proxy", Proto: TCP, Host: "127.0.0.1:18080", Target: "10.213.0.2:8080", Container: shop}
	proxy := Socket{Proto: TCP, Local: netip.MustParseAddrPort("127.0.0.1:18080"), State: StateListen,
		Owner: &Process{PID: 812, Name: "docker-proxy", Holder: &Holder{Published: pub}}}
	r := ExplainBind(BindFacts{Port: 18080, Proto: TCP, Host: host, Sockets: []Socket{proxy}, CanBindLow: true,
		Tries: []BindTry{{Proto: TCP, Addr: "0.0.0.0", Error: "address already in use"}}, DNAT: []string{"ip nat DOCKER: ... --dport 18080 -j DNAT"}})
	c := codes(r)
	p := c[CausePublished]
	if r.Causes[0].Code != CausePublished || !p.Blocks || c[CauseListener].Code != "" || c[CauseDNAT].Code != "" ||
		p.Facts["container"] != "shop-api-1" || p.Facts["compose"] != "shop/api" || p.Facts["target"] != "10.213.0.2:8080" || p.Facts["via"] != "docker-proxy" {
		t.Errorf("docker-proxy's port: %+v", r.Causes)
	}
	r = ExplainBind(BindFacts{Port: 18090, Proto: TCP, Host: host, CanBindLow: true, Tries: []BindTry{{Proto: TCP, Addr: "0.0.0.0", OK: true}},
		DNAT:      []string{"ip nat DOCKER: -p tcp --dport 18090 -j DNAT --to-destination 10.214.0.2:8080"},
		Published: []Published{{Via: "dnat", Proto: TCP, Host: "0.0.0.0:18090", Target: "10.214.0.2:8080", Container: shop}}})
	c = codes(r)
	p = c[CausePublished]
	if !r.WillBind || p.Blocks || c[CauseDNAT].Code != "" || !strings.Contains(p.Facts["rule"], "--dport 18090") ||
		!strings.Contains(p.Fix, "portolan kill 18090 --container") || !strings.Contains(p.Fix, "-p OTHER:8080") {
		t.Errorf("DNAT-only port: %+v", r.Causes)
	}
}

// A listener in another network namespace is a note, never a block: the
// bind verdict stays the tries', and the note names the namespace.
func TestExplainBindOtherNetNS(t *testing.T) {
	s := Socket{Proto: TCP, Local: netip.MustParseAddrPort("127.0.0.1:5173"), State: StateListen,
		Owner: &Process{PID: 42, Name: "vite"}, NetNS: &NetNS{Inode: 4026532177, Name: "shop", Context: "container docker 3f2a"}}
	r := ExplainBind(BindFacts{Port: 5173, Proto: TCP, Elsewhere: []Socket{s},
		Tries: []BindTry{{Proto: TCP, Addr: "0.0.0.0", OK: true}}})
	if !r.WillBind || len(r.Causes) != 1 {
		t.Fatalf("report %+v: want it to bind with one note", r)
	}
	c := r.Causes[0]
	if c.Code != CauseOtherNetNS || c.Blocks || c.Facts["netns"] != "shop" || c.Facts["context"] != "container docker 3f2a" ||
		!strings.Contains(c.Summary, "shop (container docker 3f2a)") || !strings.Contains(c.Fix, "ip -n shop addr") {
		t.Fatalf("cause %+v", c)
	}
	r = ExplainBind(BindFacts{Port: 5173, Proto: UDP, Elsewhere: []Socket{s}, Tries: []BindTry{{Proto: UDP, Addr: "0.0.0.0", OK: true}}})
	if len(r.Causes) != 0 {
		t.Fatalf("a TCP listener elsewhere explains nothing about UDP: %+v", r.Causes)
	}
}
