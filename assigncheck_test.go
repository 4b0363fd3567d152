package portolan_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

func TestCheckAssignment(t *testing.T) {
	pg := portolan.Service{Name: "postgresql", Proto: portolan.TCP, Ports: portolan.SinglePort(5432), HasPort: true}
	x11 := portolan.Service{Name: "x11", Proto: portolan.TCP, Ports: portolan.MustParseRange("6000-6063"), HasPort: true}
	unassigned := portolan.Service{Proto: portolan.TCP, Ports: portolan.MustParseRange("7000-7100"), HasPort: true, Status: portolan.Unassigned}
	host := []portolan.EphemeralRange{{Range: portolan.MustParseRange("32768-60999"), Source: "this host's ephemeral range"}}
	host = append(host, portolan.CommonEphemeral...)
	tests := []struct {
		name  string
		a     portolan.Assignment
		in    portolan.CheckInput
		kinds []string // conflict kinds in order
		sev   []portolan.Severity
		want  []string // substrings of the messages, in order
	}{
		{"clean user port", portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing"},
			portolan.CheckInput{IANA: []portolan.Service{unassigned}, Ephemeral: host}, nil, nil, nil},
		{"same port and proto refused",
			portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing"},
			portolan.CheckInput{Existing: []portolan.Assignment{
				{Port: 7001, Proto: portolan.UDP, Name: "other-udp"},
				{Port: 7001, Proto: portolan.TCP, Name: "ledger", Owner: "payments"}}},
			[]string{"assigned"}, []portolan.Severity{portolan.Refuse},
			[]string{"7001/tcp is already assigned to ledger (owner payments)"}},
		{"IANA to another service needs force",
			portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "billing"},
			portolan.CheckInput{IANA: []portolan.Service{pg}},
			[]string{"iana"}, []portolan.Severity{portolan.NeedsForce},
			[]string{"5432/tcp is assigned by IANA to postgresql, not billing"}},
		{"IANA to the same service is fine, any case",
			portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "PostgreSQL"},
			portolan.CheckInput{IANA: []portolan.Service{pg}}, nil, nil, nil},
		{"IANA range record counts", portolan.Assignment{Port: 6010, Proto: portolan.TCP, Name: "vnc-proxy"},
			portolan.CheckInput{IANA: []portolan.Service{x11}},
			[]string{"iana"}, []portolan.Severity{portolan.NeedsForce}, []string{"to x11"}},
		{"IANA on another protocol does not count", portolan.Assignment{Port: 5432, Proto: portolan.UDP, Name: "billing"},
			portolan.CheckInput{IANA: []portolan.Service{pg}}, nil, nil, nil},
		{"ephemeral on Linux and this host, once per range",
			portolan.Assignment{Port: 40000, Proto: portolan.TCP, Name: "cache"},
			portolan.CheckInput{Ephemeral: host},
			[]string{"ephemeral"}, []portolan.Severity{portolan.Warn},
			[]string{"40000/tcp lies in this host's ephemeral range 32768-60999: the kernel picks client ports there"}},
		{"dynamic port is in both common ranges",
			portolan.Assignment{Port: 50000, Proto: portolan.UDP, Name: "cache"},
			portolan.CheckInput{Ephemeral: portolan.CommonEphemeral},
			[]string{"ephemeral", "ephemeral"}, []portolan.Severity{portolan.Warn, portolan.Warn},
			[]string{"Linux's default ephemeral range 32768-60999", "macOS, the BSDs and Windows 49152-65535"}},
		{"system port needs privilege", portolan.Assignment{Port: 443, Proto: portolan.TCP, Name: "edge"},
			portolan.CheckInput{},
			[]string{"system"}, []portolan.Severity{portolan.Warn},
			[]string{"443/tcp is a system port (0-1023): binding it needs root or CAP_NET_BIND_SERVICE"}},
		{"below a raised unprivileged start", portolan.Assignment{Port: 2000, Proto: portolan.TCP, Name: "edge"},
			portolan.CheckInput{UnprivilegedStart: 4096},
			[]string{"system"}, []portolan.Severity{portolan.Warn},
			[]string{"below this host's ip_unprivileged_port_start 4096"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := portolan.CheckAssignment(tt.a, tt.in)
			if len(cs) != len(tt.kinds) {
				t.Fatalf("got %d conflicts %+v, want kinds %v", len(cs), cs, tt.kinds)
			}
			for i, c := range cs {
				if c.Kind != tt.kinds[i] || c.Severity != tt.sev[i] || !strings.Contains(c.Message, tt.want[i]) {
					t.Errorf("conflict %d = %+v, want kind %s severity %s message containing %q", i, c, tt.kinds[i], tt.sev[i], tt.want[i])
				}
			}
		})
	}
}

func TestBlocking(t *testing.T) {
	warn := portolan.Conflict{Kind: "ephemeral", Severity: portolan.Warn}
	force := portolan.Conflict{Kind: "iana", Severity: portolan.NeedsForce}
	refuse := portolan.Conflict{Kind: "assigned", Severity: portolan.Refuse}
	if _, ok := portolan.Blocking([]portolan.Conflict{warn}, false); ok {
		t.Error("a warning alone blocked an assignment")
	}
	if c, ok := portolan.Blocking([]portolan.Conflict{warn, force}, false); !ok || c.Kind != "iana" {
		t.Errorf("IANA conflict without force: blocking = %v, %v; want the iana conflict", c, ok)
	}
	if _, ok := portolan.Blocking([]portolan.Conflict{force}, true); ok {
		t.Error("--force did not accept an IANA conflict")
	}
	if c, ok := portolan.Blocking([]portolan.Conflict{force, refuse}, true); !ok || c.Kind != "assigned" {
		t.Errorf("--force accepted a duplicate assignment: %v, %v", c, ok)
	}
}

func TestConflictJSON(t *testing.T) {
	b, err := json.Marshal(portolan.Conflict{Kind: "iana", Severity: portolan.NeedsForce, Message: "m"})
	if err != nil || string(b) != `{"kind":"iana","severity":"force","message":"m"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var c portolan.Conflict
	if err := json.Unmarshal(b, &c); err != nil || c.Severity != portolan.NeedsForce {
		t.Fatalf("Unmarshal = %+v, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`{"severity":"loud"}`), &c); err == nil {
		t.Fatal("severity \"loud\" was accepted")
	}
}
