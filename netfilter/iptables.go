package netfilter

import (
	"strings"

	"github.com/portolan-dev/portolan"
)

// ParseIPTablesSave reads iptables-save (or ip6tables-save) output into
// rs under family "ip" or "ip6" (the family the rules apply to), naming
// each table prefix+its name.
func ParseIPTablesSave(rs *Ruleset, out, family, prefix string) {
	table := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = prefix + line[1:]
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			if len(f) < 2 {
				continue
			}
			c := &chain{family: family, table: table, name: f[0], policy: strings.ToLower(f[1])}
			if c.policy == "-" {
				c.policy = ""
			}
			switch f[0] {
			case "INPUT":
				if table == prefix+"filter" {
					c.hook, c.typ = "input", "filter"
				}
			case "PREROUTING":
				if table == prefix+"nat" {
					c.hook, c.typ = "prerouting", "nat"
				}
			}
			if c.hook == "" {
				c.policy = ""
			}
			rs.add(c)
		case strings.HasPrefix(line, "-A "):
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			rs.add(&chain{family: family, table: table, name: f[1], rules: []rule{iptRule(f[2:], line)}})
		}
	}
}

func iptRule(f []string, text string) rule {
	r := rule{proto: portolan.ProtoAny, text: strings.TrimPrefix(text, "-A ")}
	for i := 0; i < len(f); i++ {
		arg := func() string {
			if i+1 < len(f) {
				i++
				return f[i]
			}
			return ""
		}
		neg := i > 0 && f[i-1] == "!"
		switch f[i] {
		case "!":
		case "-p", "--protocol":
			if p, err := portolan.ParseProto(arg()); err == nil && !neg {
				r.proto = p
			}
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			for _, s := range strings.Split(arg(), ",") {
				rg, err := portolan.ParseRange(strings.Replace(s, ":", "-", 1))
				if err != nil {
					r.unknown = true
					continue
				}
				r.ports = append(r.ports, rg)
			}
			r.portNeg = neg
		case "-i", "--in-interface":
			switch v := arg(); {
			case neg:
			case v == "lo":
				r.never = true
			default:
				r.subset = true
			}
		case "-s", "--source", "-d", "--destination", "--sport", "--sports":
			arg()
			if !neg {
				r.subset = true
			}
		case "--ctstate", "--state":
			hasNew := strings.Contains(","+arg()+",", ",NEW,")
			if hasNew == neg {
				r.never = true
			}
		case "-m", "--match":
			switch arg() {
			case "tcp", "udp", "multiport", "conntrack", "state", "comment", "addrtype":
			default:
				r.unknown = true
			}
		case "--comment", "--dst-type", "--src-type", "--to-destination", "--reject-with", "-o", "--out-interface":
			arg()
		case "-j", "--jump", "-g", "--goto":
			isGoto := f[i] == "-g" || f[i] == "--goto"
			t := arg()
			switch t {
			case "ACCEPT", "DROP", "REJECT", "RETURN":
				r.verdict = strings.ToLower(t)
			case "DNAT", "REDIRECT":
				r.verdict = "dnat"
			case "LOG", "MASQUERADE", "SNAT", "MARK", "CONNMARK":
			default:
				r.verdict, r.target = "jump", t
				if isGoto {
					r.verdict = "goto"
				}
			}
		default:
			if strings.HasPrefix(f[i], "-") {
				r.unknown = true
			}
		}
	}
	return r
}

// dropTables removes the chains of family's tables that out (iptables-save
// output) lists, so a parse of out replaces what nft's JSON showed of them.
func (rs *Ruleset) dropTables(family, out string) {
	tables := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "*") {
			tables[strings.TrimSpace(line[1:])] = true
		}
	}
	for k, c := range rs.chains {
		if c.family == family && tables[c.table] {
			delete(rs.chains, k)
		}
	}
	bases := rs.bases[:0]
	for _, c := range rs.bases {
		if !(c.family == family && tables[c.table]) {
			bases = append(bases, c)
		}
	}
	rs.bases = bases
}
