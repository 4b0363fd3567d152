package holder

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/procfs"
)

// socketUnit is a systemd .socket unit: what it listens on and the service
// it starts.
type socketUnit struct {
	name    string // shop.socket
	service string // shop.service (Service=, else the socket's own name)
	listen  []listenSpec
}

type listenSpec struct {
	proto portolan.Proto
	addr  netip.Addr // invalid: any address
	port  portolan.Port
}

// activated is the socket unit whose Listen line names s, when s is held
// by systemd as the init of its pid namespace (socket activation: systemd
// holds the socket until, and while, its service runs). units reads the
// unit directories once per call of Annotate.
func activated(s portolan.Socket, units func() []socketUnit) *socketUnit {
	if s.Owner == nil || s.Owner.Name != "systemd" || !procfs.IsNamespaceInit(s.Owner.PID) {
		return nil
	}
	port := portolan.Port(s.Local.Port())
	for _, u := range units() {
		for _, l := range u.listen {
			if l.port == port && l.proto == s.Proto && (!l.addr.IsValid() || l.addr == s.Local.Addr().Unmap()) {
				return &u
			}
		}
	}
	return nil
}

// readSocketUnits parses the .socket units of dirs (the first of a name
// wins, as systemd's search path does).
func readSocketUnits(dirs []string) []socketUnit {
	var out []socketUnit
	seen := map[string]bool{}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".socket") || seen[e.Name()] {
				continue
			}
			b, err := os.ReadFile(filepath.Join(d, e.Name()))
			if err != nil || len(b) > 64<<10 {
				continue
			}
			seen[e.Name()] = true
			if u := parseSocketUnit(e.Name(), b); len(u.listen) > 0 {
				out = append(out, u)
			}
		}
	}
	return out
}

// parseSocketUnit reads ListenStream= (TCP), ListenDatagram= (UDP) and
// Service= of a unit's [Socket] section. A listen value is PORT,
// ADDR:PORT or [ADDR]:PORT; paths (Unix sockets) are not ports.
func parseSocketUnit(name string, b []byte) socketUnit {
	u := socketUnit{name: name, service: strings.TrimSuffix(name, ".socket") + ".service"}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "[Socket]" {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "Service":
			u.service = v
		case "ListenStream", "ListenDatagram":
			proto := portolan.TCP
			if k == "ListenDatagram" {
				proto = portolan.UDP
			}
			if l, ok := parseListen(v, proto); ok {
				u.listen = append(u.listen, l)
			}
		}
	}
	return u
}

func parseListen(v string, proto portolan.Proto) (listenSpec, bool) {
	if n, err := strconv.ParseUint(v, 10, 16); err == nil && n > 0 {
		return listenSpec{proto: proto, port: portolan.Port(n)}, true
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil || ap.Port() == 0 {
		return listenSpec{}, false
	}
	a := ap.Addr().Unmap()
	if a.IsUnspecified() {
		a = netip.Addr{}
	}
	return listenSpec{proto: proto, addr: a, port: portolan.Port(ap.Port())}, true
}
