package sockets

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

func TestParseState(t *testing.T) {
	for in, want := range map[string]string{
		"listen": "LISTEN", "LISTEN": "LISTEN", "estab": "ESTABLISHED", "established": "ESTABLISHED",
		"time-wait": "TIME_WAIT", "Time_Wait": "TIME_WAIT", "close": "UNCONN", "unconn": "UNCONN",
		"syn-recv": "SYN_RECV", "close-wait": "CLOSE_WAIT",
	} {
		if got, err := ParseState(in); err != nil || got != want {
			t.Errorf("ParseState(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseState("open")
	if portolan.ErrorCode(err) != portolan.EINVALID || !strings.Contains(err.Error(), `"open"`) || !strings.Contains(err.Error(), "listen") {
		t.Errorf("ParseState(open) error = %v; want EINVALID naming the input and the valid states", err)
	}
}

func TestCompile(t *testing.T) {
	q, err := compile(Filter{})
	if err != nil || !q.tcp || !q.udp || !q.v4 || !q.v6 || q.tcpStates != 1<<stListen || q.udpStates != 1<<stClose || q.withOwners {
		t.Errorf("zero Filter = %+v, %v; want listening TCP and UDP, both families, no owners", q, err)
	}
	q, _ = compile(Filter{Protos: []portolan.Proto{portolan.UDP}, Families: []int{6}, States: []string{"listen"}})
	if q.tcp || !q.udp || q.v4 || !q.v6 || q.udpStates != 0 {
		t.Errorf("udp6 LISTEN = %+v; want UDP v6 with no UDP states (UDP never listens)", q)
	}
	q, _ = compile(Filter{PID: 42})
	if !q.withOwners {
		t.Error("a PID filter must imply owners")
	}
	q, _ = compile(Filter{All: true})
	if q.tcpStates != allStates || q.udpStates != allStates {
		t.Errorf("All = %b/%b; want every state", q.tcpStates, q.udpStates)
	}
	for _, f := range []Filter{
		{Protos: []portolan.Proto{portolan.SCTP}},
		{Families: []int{5}},
		{States: []string{"nope"}},
		{PID: -1},
	} {
		if _, err := compile(f); portolan.ErrorCode(err) != portolan.EINVALID {
			t.Errorf("compile(%+v) error = %v; want EINVALID", f, err)
		}
	}
}

func TestSortSockets(t *testing.T) {
	addrs := []string{"127.0.0.1", "0.0.0.0", "::1", "::", "10.0.0.2"}
	var socks []portolan.Socket
	for i := 0; i < 400; i++ {
		a := netip.MustParseAddr(addrs[i*7%len(addrs)])
		s := portolan.Socket{Proto: portolan.Protos[i%2], Local: netip.AddrPortFrom(a, uint16(i*13%17)), State: stateNames[1+i%12]}
		if i%3 == 0 {
			s.Remote = netip.AddrPortFrom(a, uint16(i))
		}
		socks = append(socks, s)
	}
	want := slices.Clone(socks)
	slices.SortStableFunc(want, func(a, b portolan.Socket) int { return compareSockets(&a, &b) })
	sortSockets(socks)
	for i := range want {
		if compareSockets(&socks[i], &want[i]) != 0 {
			t.Fatalf("position %d: %+v, want %+v", i, socks[i], want[i])
		}
	}
}
