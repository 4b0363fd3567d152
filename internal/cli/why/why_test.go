package why

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
)

// Bad input exits 2 with one line naming it and the valid form.
func TestWhyBadInput(t *testing.T) {
	for _, arg := range []string{"70000", "0", "5173/sctp", "x", ":80", "localhost:0", "localhost:http", "\x1b[31m"} {
		ios, _, _, _ := iostreams.Test()
		err := Run(context.Background(), &Options{IO: ios, Arg: arg, Timeout: time.Second})
		msg := cmdutil.Message(err)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(msg, "PORT") || strings.Contains(msg, "\x1b") {
			t.Errorf("why %q: exit %d %q; want 2 naming the valid form", arg, cmdutil.ExitCode(err), msg)
		}
	}
	ios, _, _, _ := iostreams.Test()
	if err := Run(context.Background(), &Options{IO: ios, Arg: "80", Timeout: 0}); cmdutil.ExitCode(err) != 2 {
		t.Errorf("--timeout 0: exit %d; want 2", cmdutil.ExitCode(err))
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "53/udp", "5173/TCP", "x/", "/tcp", "65536"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, _, err := parsePort(s)
		if err == nil && p == 0 {
			t.Errorf("parsePort(%q) accepted port 0", s)
		}
	})
}

// The verdict names the port as it would be typed: 5173/tcp, or 5173 for
// both protocols (never a protocol word that why refuses as input).
func TestWhyVerdictNamesThePortAsTyped(t *testing.T) {
	for proto, want := range map[portolan.Proto]string{portolan.TCP: "5173/tcp will bind here.", portolan.ProtoAny: "5173 will bind here."} {
		ios, _, out, _ := iostreams.Test()
		r := portolan.BindReport{Port: 5173, Proto: proto, WillBind: true, Causes: []portolan.Cause{}}
		if err := render(&Options{IO: ios}, r, nil, true); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(out.String(), "\n"); first != want {
			t.Errorf("verdict for %v = %q, want %q", proto, first, want)
		}
		if _, _, err := parsePort(strings.TrimSuffix(want, " will bind here.")); err != nil {
			t.Errorf("the verdict's port %q is not valid input: %v", want, err)
		}
	}
}
