package cmdutil_test

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

func TestParsePortProto(t *testing.T) {
	for in, want := range map[string]string{
		"5432":      `"5432" needs a protocol: want PORT/PROTO, e.g. 5432/tcp`,
		"70000/tcp": "port 70000 is out of range 0-65535",
		"5432/xtp":  `protocol "xtp" in "5432/xtp" is not one of tcp, udp, sctp, dccp`,
		"5432/":     `protocol "" in "5432/" is not one of`,
	} {
		_, _, err := cmdutil.ParsePortProto(in)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), want) {
			t.Errorf("ParsePortProto(%q) = %v; want exit 2 with %q", in, err, want)
		}
	}
	if p, proto, err := cmdutil.ParsePortProto("53/UDP"); err != nil || p != 53 || proto != portolan.UDP {
		t.Errorf("ParsePortProto(53/UDP) = %d %v %v", p, proto, err)
	}
}

func FuzzParsePortProto(f *testing.F) {
	for _, s := range []string{"5432/tcp", "0/udp", "65535/dccp", "5432", "/tcp", "1/2/3", "99999/tcp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, proto, err := cmdutil.ParsePortProto(s)
		if err != nil {
			if cmdutil.ExitCode(err) != 2 || strings.Contains(cmdutil.Message(err), "\n") {
				t.Fatalf("ParsePortProto(%q) error %v is not one line with exit 2", s, err)
			}
			return
		}
		back := p.String() + "/" + proto.String()
		if p2, proto2, err := cmdutil.ParsePortProto(back); err != nil || p2 != p || proto2 != proto {
			t.Fatalf("%q -> %s does not round-trip", s, back)
		}
	})
}

func TestParseLeaseProto(t *testing.T) {
	if _, err := cmdutil.ParseLeaseProto("sctp"); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "tcp, udp, both") {
		t.Errorf("ParseLeaseProto(sctp) = %v", err)
	}
	for in, want := range map[string]portolan.Proto{"both": portolan.ProtoAny, "any": portolan.ProtoAny, "tcp": portolan.TCP, "udp": portolan.UDP} {
		if got, err := cmdutil.ParseLeaseProto(in); err != nil || got != want {
			t.Errorf("ParseLeaseProto(%q) = %v %v", in, got, err)
		}
	}
}
