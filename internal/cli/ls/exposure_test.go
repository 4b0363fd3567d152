package ls

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/sockets"
)

// --exposure adds the column after the port in every format: loopback
// listeners say "loopback"; others name a reach and a firewall verdict
// (whatever this host's firewall says, or unknown, never missing).
func TestLsExposureColumn(t *testing.T) {
	socks := []portolan.Socket{
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("127.0.0.1:6379"), State: portolan.StateListen},
		{Proto: portolan.TCP, Local: netip.MustParseAddrPort("0.0.0.0:5432"), State: portolan.StateListen},
	}
	o := opts()
	o.Exposure = true
	o.List = func(context.Context, sockets.Filter) ([]portolan.Socket, error) { return socks, nil }
	out, _, code := run(t, o, false)
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(rows) != 2 {
		t.Fatalf("exit %d, %q", code, out)
	}
	if c := strings.Split(rows[0], "\t"); c[3] != "loopback" || c[2] != "6379" {
		t.Errorf("row %q; want loopback after the port", rows[0])
	}
	if c := strings.Split(rows[1], "\t"); !strings.Contains(c[3], ", fw: ") {
		t.Errorf("row %q; want a reach and fw: VERDICT after the port", rows[1])
	}
	tty, _, _ := run(t, o, true)
	if !strings.Contains(tty, "EXPOSURE") && !strings.Contains(tty, "exposure") {
		t.Errorf("terminal table without the exposure header:\n%s", tty)
	}
	o.JSON = true
	js, _, _ := run(t, o, false)
	var entries []ExposureEntry
	if err := json.Unmarshal([]byte(js), &entries); err != nil || len(entries) != 2 || entries[0].Reach != portolan.ReachLoopback || entries[1].Firewall == "" {
		t.Errorf("json = %s (%v)", js, err)
	}
}

// On an 80-column terminal the exposure table is cut, not wrapped: the
// service, process and user give way as in ls.
func TestLsExposureFitsEightyColumns(t *testing.T) {
	socks := []portolan.Socket{{Proto: portolan.TCP, Local: netip.MustParseAddrPort("0.0.0.0:2024"), State: portolan.StateListen,
		Owner: &portolan.Process{PID: 123456, Name: "python3.11-server", User: "postgres-admin"}}}
	o := opts()
	o.Exposure = true
	o.List = func(context.Context, sockets.Filter) ([]portolan.Socket, error) { return socks, nil }
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(80)
	o.IO = ios
	if err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if w := tableprinter.Width(l); w > 80 {
			t.Errorf("line %q is %d cells wide, want at most 80:\n%s", l, w, out)
		}
	}
}
