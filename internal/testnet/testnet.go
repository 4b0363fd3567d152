//go:build linux

// Package testnet gives tests and benchmarks a remote host of their own: a
// network namespace joined to this one by a veth pair, or, when a delay is
// asked for, by two TUN devices with a relay in this process that holds
// every packet for the delay in each direction. The kernels here have no
// netem qdisc, so the relay is how a slow link is made. Inside the
// namespace, firewall rules (nft, else iptables) drop or reject chosen
// ports, and listeners are opened with setns on a locked thread.
//
// Addresses come from 10.250.0.0/16 and live only on the devices this
// package creates; the namespace, the devices and the route vanish on
// Close, and namespaces left by a killed test are removed by the next one.
package testnet

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
)

// Options shape the link.
type Options struct {
	// Delay holds every packet this long in each direction (so the
	// round-trip time is twice it). 0 is a plain veth pair.
	Delay time.Duration
}

// NS is a network namespace reachable from this one at Addr.
type NS struct {
	Name     string
	HostAddr netip.Addr // this namespace's end of the link
	Addr     netip.Addr // the namespace's address: scan this
	hostIf   string
	relay    *relay
	closed   bool
}

// Available reports why namespaces cannot be made here, or "" when they can.
func Available() string {
	if os.Geteuid() != 0 {
		return "needs root (network namespaces, TUN devices and firewall rules)"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "needs iproute2 (ip); scripts/install-deps.sh installs it"
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return "needs /dev/net/tun"
	}
	return ""
}

// Create makes a namespace with its link. The caller must Close it.
func Create(o Options) (*NS, error) {
	if why := Available(); why != "" {
		return nil, fmt.Errorf("testnet: %s", why)
	}
	reapStale()
	var lastErr error
	for try := 0; try < 64; try++ {
		slot := (os.Getpid()*31 + try*977 + int(time.Now().UnixNano()/1000)) % 16384
		ns, err := create(slot, o)
		if err == nil {
			return ns, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "exists") && !strings.Contains(err.Error(), "busy") {
			return nil, err
		}
	}
	return nil, lastErr
}

func create(slot int, o Options) (ns *NS, err error) {
	base := netip.AddrFrom4([4]byte{10, 250, byte(slot * 4 >> 8), byte(slot * 4 & 0xff)})
	n := &NS{
		Name:     fmt.Sprintf("ptl-%d-%d", os.Getpid(), slot),
		HostAddr: base.Next(),
		Addr:     base.Next().Next(),
		hostIf:   fmt.Sprintf("ptl%dh", slot),
	}
	nsIf := fmt.Sprintf("ptl%dn", slot)
	if o.Delay > 0 {
		if n.relay, err = newRelay(n.hostIf, nsIf, o.Delay); err != nil {
			return nil, err
		}
	} else if err := ip("link", "add", n.hostIf, "type", "veth", "peer", "name", nsIf); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := ip("netns", "add", n.Name); err != nil {
		return nil, err
	}
	steps := [][]string{
		{"link", "set", nsIf, "netns", n.Name},
		{"addr", "add", n.HostAddr.String() + "/30", "dev", n.hostIf},
		{"link", "set", n.hostIf, "txqueuelen", "10000", "up"},
		{"-n", n.Name, "link", "set", "lo", "up"},
		{"-n", n.Name, "addr", "add", n.Addr.String() + "/30", "dev", nsIf},
		{"-n", n.Name, "link", "set", nsIf, "txqueuelen", "10000", "up"},
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return nil, err
		}
	}
	if n.relay != nil {
		n.relay.start()
	}
	return n, nil
}

// Close stops the relay and deletes the namespace and the link.
func (n *NS) Close() error {
	if n.closed {
		return nil
	}
	n.closed = true
	if n.relay != nil {
		n.relay.close()
	}
	ip("link", "del", n.hostIf) // gone already with a TUN relay; a veth pair needs it
	return ip("netns", "del", n.Name)
}

// Exec runs a command inside the namespace and returns its combined output.
func (n *NS) Exec(name string, args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Drop makes the namespace silently drop TCP connections to ports:
// a scan must call them filtered.
func (n *NS) Drop(ports ...portolan.Port) error { return n.firewall("drop", ports) }

// Reject makes the namespace answer connections to ports with a TCP
// reset from the firewall: a scan must call them closed.
func (n *NS) Reject(ports ...portolan.Port) error { return n.firewall("reject with tcp reset", ports) }

// NFT loads an nft ruleset (nft -f syntax) into the namespace.
func (n *NS) NFT(script string) error {
	cmd := exec.Command("ip", "netns", "exec", n.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// DockerRules is an nft ruleset as on a Docker host: an inet filter input
// chain that drops TCP to drop, and nat PREROUTING jumping to a DOCKER
// chain that DNATs TCP to published on to a container (172.17.0.2:80).
func DockerRules(drop, published portolan.Port) string {
	return fmt.Sprintf(`table inet filter {
 chain input { type filter hook input priority 0; policy accept; tcp dport %d drop; }
}
table ip nat {
 chain PREROUTING { type nat hook prerouting priority -100; fib daddr type local jump DOCKER; }
 chain DOCKER { iifname != "docker0" tcp dport %d dnat to 172.17.0.2:80; }
}
`, drop, published)
}

func (n *NS) firewall(verdict string, ports []portolan.Port) error {
	if len(ports) == 0 {
		return nil
	}
	if _, err := exec.LookPath("nft"); err == nil {
		list := make([]string, len(ports))
		for i, p := range ports {
			list[i] = p.String()
		}
		script := "table inet portolan_test {\n chain input {\n  type filter hook input priority 0; policy accept;\n" +
			"  tcp dport { " + strings.Join(list, ", ") + " } " + verdict + "\n }\n}\n"
		return n.NFT(script)
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return fmt.Errorf("testnet: needs nft or iptables; scripts/install-deps.sh installs them")
	}
	target := []string{"-j", "DROP"}
	if verdict != "drop" {
		target = []string{"-j", "REJECT", "--reject-with", "tcp-reset"}
	}
	for i := 0; i < len(ports); i += 15 { // multiport takes 15 ports a rule
		var list []string
		for _, p := range ports[i:min(i+15, len(ports))] {
			list = append(list, p.String())
		}
		args := append([]string{"-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", strings.Join(list, ",")}, target...)
		if _, err := n.Exec("iptables", args...); err != nil {
			return err
		}
	}
	return nil
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// reapStale deletes namespaces (and their links) that a test process
// which no longer exists left behind: ptl-PID-SLOT with PID gone.
func reapStale() {
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		var pid, slot int
		if _, err := fmt.Sscanf(e.Name(), "ptl-%d-%d", &pid, &slot); err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			ip("link", "del", "ptl"+strconv.Itoa(slot)+"h")
			ip("netns", "del", filepath.Base(e.Name()))
		}
	}
}
