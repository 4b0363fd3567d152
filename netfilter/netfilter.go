// Package netfilter reads this host's firewall (nftables, which also holds
// iptables-nft's rules, and iptables-legacy) and answers one question: what
// happens to a new connection from another host to a local port — allowed,
// denied, sent elsewhere by a DNAT rule (Docker's published ports bypass
// the input chain), or unknown.
//
// It reads `nft -j list ruleset` rather than netlink through
// github.com/google/nftables: the JSON names every match and verdict in
// the terms of the rule language (dport, ct state, iifname, dnat), where
// netlink gives raw register expressions that would have to be decoded back
// into them, and the exec is paid only by the verbs that ask (exposure,
// ls --exposure), never at every process's start-up as a package's init is.
// iptables-legacy rules, which nft cannot see, come from iptables-legacy-save.
package netfilter

import (
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Verdict is what the firewall does with a new connection to a port.
type Verdict string

// The verdicts. Unknown is never "allow": a ruleset that cannot be read,
// or a rule this package does not understand, leaves the answer open.
const (
	Allow      Verdict = "allow"
	Deny       Verdict = "deny"
	DockerDNAT Verdict = "docker-dnat"
	Unknown    Verdict = "unknown"
)

// Result is a verdict and the rule that gave it.
type Result struct {
	Verdict Verdict `json:"verdict"`
	Rule    string  `json:"rule,omitempty"` // table/chain and the rule, or "policy drop"
}

// Ruleset is the firewall as read once; Check answers from it.
type Ruleset struct {
	chains map[string]*chain // by family/table/name
	bases  []*chain          // chains with a hook
	// Err says why the ruleset could not be read; every Check is Unknown.
	Err error
}

type chain struct {
	family, table, name string
	hook, typ           string // input, prerouting; filter, nat
	policy              string // accept, drop
	rules               []rule
}

// rule is one rule reduced to what matters for a new connection from
// another host to a local port.
type rule struct {
	proto   portolan.Proto   // ProtoAny: any
	ports   []portolan.Range // nil: any port
	portNeg bool
	never   bool // cannot match such a packet (iif lo, ct state without new)
	// subset: the rule applies to some sources or interfaces only. An
	// accept then still makes the port reachable (from them); a drop
	// leaves it reachable from the others, so it is passed over.
	subset  bool
	unknown bool // a match this package does not understand
	verdict string
	target  string
	text    string
}

func (c *chain) key() string { return c.family + "/" + c.table + "/" + c.name }

// Check says what happens to a new connection from another host to port
// on family 4 or 6.
func (rs *Ruleset) Check(proto portolan.Proto, port portolan.Port, family int) Result {
	if rs == nil || rs.Err != nil {
		return Result{Verdict: Unknown}
	}
	fams := func(f string) bool { return f == "inet" || f == "ip" && family == 4 || f == "ip6" && family == 6 }
	var steps int
	// A DNAT rule in prerouting sends the connection elsewhere before the
	// input chain sees it.
	for _, c := range rs.bases {
		if fams(c.family) && c.hook == "prerouting" && c.typ == "nat" {
			steps = 0
			if v, text := rs.eval(c, proto, port, 0, &steps); v == "dnat" {
				return Result{Verdict: DockerDNAT, Rule: text}
			}
		}
	}
	out := Result{Verdict: Allow}
	for _, c := range rs.bases {
		if !fams(c.family) || c.hook != "input" || c.typ == "nat" {
			continue
		}
		steps = 0
		v, text := rs.eval(c, proto, port, 0, &steps)
		switch v {
		case "", "return", "continue":
			v, text = c.policy, c.family+" "+c.table+" "+c.name+": policy "+c.policy
		}
		switch v {
		case "drop", "reject":
			return Result{Verdict: Deny, Rule: text}
		case "unknown":
			out = Result{Verdict: Unknown, Rule: text}
		case "accept":
			if out.Verdict == Allow && out.Rule == "" {
				out.Rule = text
			}
		}
	}
	return out
}

// eval runs chain c for the packet: the verdict ("accept", "drop",
// "reject", "dnat", "unknown", "return" or "" for the end of the chain)
// and the rule's text.
func (rs *Ruleset) eval(c *chain, proto portolan.Proto, port portolan.Port, depth int, steps *int) (string, string) {
	if depth > 16 {
		return "unknown", c.key() + ": jumps nest too deep"
	}
	for _, r := range c.rules {
		// The kernel refuses jump loops; a crafted text could still make
		// the jumps branch exponentially, so the rules visited are capped.
		if *steps++; *steps > 100000 {
			return "unknown", c.key() + ": too many rules to follow"
		}
		if r.never || !r.matches(proto, port) || r.subset && (r.verdict == "drop" || r.verdict == "reject" || r.verdict == "return") {
			continue
		}
		// The rule's text is built only for the rule that decides: one
		// Check per listener must not allocate per rule it passes.
		text := func() string { return c.family + " " + c.table + " " + c.name + ": " + r.text }
		if r.unknown && r.verdict != "" && r.verdict != "continue" {
			return "unknown", text()
		}
		switch r.verdict {
		case "accept", "drop", "reject", "dnat", "return":
			return r.verdict, text()
		case "jump", "goto":
			sub := rs.chains[c.family+"/"+c.table+"/"+r.target]
			if sub == nil {
				return "unknown", text() + " (no chain " + r.target + ")"
			}
			v, t := rs.eval(sub, proto, port, depth+1, steps)
			if v != "" && v != "return" {
				return v, t
			}
			if r.verdict == "goto" {
				return "", text()
			}
		}
	}
	return "", ""
}

func (r rule) matches(proto portolan.Proto, port portolan.Port) bool {
	if r.proto != portolan.ProtoAny && r.proto != proto {
		return false
	}
	if r.ports == nil {
		return true
	}
	in := false
	for _, p := range r.ports {
		in = in || p.Contains(port)
	}
	return in != r.portNeg
}

func (rs *Ruleset) add(c *chain) {
	if rs.chains == nil {
		rs.chains = map[string]*chain{}
	}
	if old := rs.chains[c.key()]; old != nil {
		old.rules = append(old.rules, c.rules...)
		if c.hook != "" {
			old.hook, old.typ, old.policy = c.hook, c.typ, c.policy
			rs.bases = append(rs.bases, old)
		}
		return
	}
	rs.chains[c.key()] = c
	if c.hook != "" {
		rs.bases = append(rs.bases, c)
	}
}

func (r Result) String() string {
	if r.Rule == "" {
		return string(r.Verdict)
	}
	return fmt.Sprintf("%s (%s)", r.Verdict, strings.TrimSpace(r.Rule))
}
