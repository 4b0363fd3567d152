package portolan

// unsafePorts are the ports browsers refuse to fetch from: the "bad port"
// list of the WHATWG Fetch standard (https://fetch.spec.whatwg.org/#port-blocking,
// as of 2026), which Chromium (net/base/port_util.cc, kRestrictedPorts) and
// Firefox (netwerk/base/nsIOService.cpp, gBadPortList) implement. A dev
// server on one of them binds and answers curl, but a browser shows
// ERR_UNSAFE_PORT. Sorted.
var unsafePorts = [...]Port{
	1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79,
	87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
	139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
	540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723,
	2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669,
	6679, 6697, 10080,
}

// UnsafePortsSource names where the list comes from.
const UnsafePortsSource = "WHATWG Fetch standard, bad ports (https://fetch.spec.whatwg.org/#port-blocking), implemented by Chromium and Firefox"

// UnsafePorts returns the ports browsers refuse, sorted. The slice is a
// copy.
func UnsafePorts() []Port { s := unsafePorts; return s[:] }

// BrowserRestricted reports whether browsers refuse to connect to p.
func BrowserRestricted(p Port) bool {
	lo, hi := 0, len(unsafePorts)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case unsafePorts[m] == p:
			return true
		case unsafePorts[m] < p:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// osServices are ports a stock Linux or desktop install usually holds:
// a server there collides with the system's own daemon (port numbers from
// the IANA registry; the daemons are the common defaults of Debian,
// Ubuntu and Fedora).
var osServices = map[Port]string{
	22:   "sshd (OpenSSH)",
	25:   "the mail transfer agent (postfix, exim)",
	53:   "a local DNS resolver (systemd-resolved on 127.0.0.53/54, dnsmasq)",
	67:   "a DHCP server (dnsmasq, libvirt)",
	68:   "the DHCP client",
	111:  "rpcbind",
	123:  "the NTP daemon (chronyd, ntpd)",
	323:  "chronyd's command port",
	546:  "the DHCPv6 client",
	631:  "cupsd (printing)",
	5000: "macOS's AirPlay Receiver (ControlCenter, macOS 12 and later)",
	5353: "mDNS (avahi-daemon, systemd-resolved)",
	5355: "LLMNR (systemd-resolved)",
	7000: "macOS's AirPlay Receiver (ControlCenter, macOS 12 and later)",
}

// OSService names the system daemon that usually holds p, or "".
func OSService(p Port) string { return osServices[p] }
