package netfilter

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
)

// nftDoc is `nft -j list ruleset`.
type nftDoc struct {
	Nftables []struct {
		Chain *struct {
			Family, Table, Name, Type, Hook, Policy string
		} `json:"chain"`
		Rule *struct {
			Family, Table, Chain string
			Expr                 []map[string]json.RawMessage `json:"expr"`
		} `json:"rule"`
	} `json:"nftables"`
}

// ParseNFT reads the JSON of `nft -j list ruleset`.
func ParseNFT(b []byte) (*Ruleset, error) {
	var d nftDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("nft -j list ruleset: %w", err)
	}
	rs := &Ruleset{}
	for _, o := range d.Nftables {
		if c := o.Chain; c != nil {
			pol := c.Policy
			if pol == "" {
				pol = "accept"
			}
			rs.add(&chain{family: c.Family, table: c.Table, name: c.Name, hook: c.Hook, typ: c.Type, policy: pol})
		}
		if r := o.Rule; r != nil {
			rs.add(&chain{family: r.Family, table: r.Table, name: r.Chain, rules: []rule{nftRule(r.Expr)}})
		}
	}
	return rs, nil
}

type nftMatch struct {
	Op    string          `json:"op"`
	Left  json.RawMessage `json:"left"`
	Right json.RawMessage `json:"right"`
}

type nftLeft struct {
	Payload *struct{ Protocol, Field string } `json:"payload"`
	Meta    *struct{ Key string }             `json:"meta"`
	Ct      *struct{ Key string }             `json:"ct"`
	Fib     *struct{ Result string }          `json:"fib"`
}

func nftRule(exprs []map[string]json.RawMessage) rule {
	r := rule{proto: portolan.ProtoAny}
	var parts []string
	for _, e := range exprs {
		for k, v := range e {
			switch k {
			case "match":
				var m nftMatch
				json.Unmarshal(v, &m)
				parts = append(parts, nftText(m))
				r.match(m)
			case "accept", "drop", "reject", "return", "continue":
				r.verdict = k
				parts = append(parts, k)
			case "jump", "goto":
				var t struct{ Target string }
				json.Unmarshal(v, &t)
				r.verdict, r.target = k, t.Target
				parts = append(parts, k+" "+t.Target)
			case "dnat", "redirect":
				r.verdict = "dnat"
				parts = append(parts, k+" "+compact(v))
			case "counter", "log", "comment", "masquerade", "snat", "notrack", "mangle", "limit", "xt":
				// Statements that do not decide the verdict; an xt match
				// with a verdict is unknown below.
				if k == "xt" {
					r.unknown = true
				}
			default:
				r.unknown = true
				parts = append(parts, k)
			}
		}
	}
	r.text = strings.Join(parts, " ")
	return r
}

// match folds one match into r.
func (r *rule) match(m nftMatch) {
	var l nftLeft
	json.Unmarshal(m.Left, &l)
	neg := m.Op == "!="
	switch {
	case l.Payload != nil && l.Payload.Field == "dport" && (l.Payload.Protocol == "tcp" || l.Payload.Protocol == "udp"):
		r.proto = portolan.MustParseProto(l.Payload.Protocol)
		ports, ok := nftPorts(m.Right)
		if !ok {
			r.unknown = true
			return
		}
		r.ports, r.portNeg = ports, neg
	case l.Payload != nil && (l.Payload.Field == "saddr" || l.Payload.Field == "daddr" || l.Payload.Field == "sport"):
		// The rule applies to some sources only.
		if !neg {
			r.subset = true
		}
	case l.Meta != nil && l.Meta.Key == "l4proto":
		var s string
		if json.Unmarshal(m.Right, &s) == nil && (s == "tcp" || s == "udp") && !neg {
			r.proto = portolan.MustParseProto(s)
		}
	case l.Meta != nil && (l.Meta.Key == "iifname" || l.Meta.Key == "iif"):
		var s string
		json.Unmarshal(m.Right, &s)
		switch {
		case neg: // every interface but one: another host still comes in
		case s == "lo":
			r.never = true // loopback never carries another host's packets
		default:
			r.subset = true
		}
	case l.Meta != nil && l.Meta.Key == "nfproto":
	case l.Ct != nil && l.Ct.Key == "state":
		var one string
		var many []string
		if json.Unmarshal(m.Right, &one) == nil {
			many = []string{one}
		} else {
			json.Unmarshal(m.Right, &many)
		}
		hasNew := false
		for _, s := range many {
			hasNew = hasNew || s == "new"
		}
		if hasNew == neg {
			r.never = true
		}
	case l.Fib != nil:
		// fib daddr type local: the packet is for this host, as asked.
	default:
		r.unknown = true
	}
}

// nftPorts reads a port, a {"set": [...]} of ports and {"range": [lo, hi]},
// or a {"range": [lo, hi]}.
func nftPorts(raw json.RawMessage) ([]portolan.Range, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return []portolan.Range{{Lo: portolan.Port(n), Hi: portolan.Port(n)}}, n >= 0 && n <= 65535
	}
	var rg struct{ Range []int }
	if json.Unmarshal(raw, &rg) == nil && len(rg.Range) == 2 {
		return []portolan.Range{{Lo: portolan.Port(rg.Range[0]), Hi: portolan.Port(rg.Range[1])}}, true
	}
	var set struct{ Set []json.RawMessage }
	if json.Unmarshal(raw, &set) == nil && set.Set != nil {
		var out []portolan.Range
		for _, e := range set.Set {
			p, ok := nftPorts(e)
			if !ok {
				return nil, false
			}
			out = append(out, p...)
		}
		return out, true
	}
	return nil, false
}

func nftText(m nftMatch) string {
	var l nftLeft
	json.Unmarshal(m.Left, &l)
	left := compact(m.Left)
	switch {
	case l.Payload != nil:
		left = l.Payload.Protocol + " " + l.Payload.Field
	case l.Meta != nil:
		left = l.Meta.Key
	case l.Ct != nil:
		left = "ct " + l.Ct.Key
	case l.Fib != nil:
		left = "fib"
	}
	op := ""
	if m.Op == "!=" {
		op = "!= "
	}
	return left + " " + op + compact(m.Right)
}

func compact(b json.RawMessage) string {
	s := strings.NewReplacer(`"`, "", `{`, "", `}`, "", `[`, "{", `]`, "}").Replace(string(b))
	s = strings.ReplaceAll(s, "set:", "")
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}
