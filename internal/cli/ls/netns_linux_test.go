package ls

import (
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/testnet"
)

// A listener inside a namespace the test creates, invisible to a plain ls,
// shows with --netns all (and its name in the NETNS column), with --netns
// NAME alone, and in --json with its netns object; bad values exit 2.
func TestLsNetNS(t *testing.T) {
	ns := testnet.New(t, testnet.Options{})
	var l net.Listener
	if err := ns.Do(func() (err error) { l, err = net.Listen("tcp", "127.0.0.1:0"); return }); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)

	o := opts()
	o.Port = port
	if out, _, code := run(t, o, false); code != 1 || strings.Contains(out, port) {
		t.Fatalf("plain ls sees the namespace's listener: exit %d %q", code, out)
	}
	o = opts()
	o.NetNS, o.Port = "all", port
	out, errOut, code := run(t, o, true)
	if code != 0 || !strings.Contains(out, "NETNS") || !strings.Contains(out, ns.Name) {
		t.Fatalf("ls --netns all --port %s: exit %d\n%s%s", port, code, out, errOut)
	}
	o = opts()
	o.NetNS, o.Args = "all", []string{port}
	out, _, _ = run(t, o, false)
	if f := strings.Split(strings.TrimSpace(out), "\t"); len(f) != 9 || f[8] != ns.Name {
		t.Fatalf("piped ls --netns all %s: %q, want the namespace as the last field", port, out)
	}
	o = opts()
	o.NetNS, o.Port, o.JSON = ns.Name, port, true
	out, _, code = run(t, o, false)
	var rows []Entry
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 || len(rows) != 1 {
		t.Fatalf("ls --netns %s --json: %q exit %d: %v", ns.Name, out, code, err)
	}
	if n := rows[0].NetNS; n == nil || n.Name != ns.Name || n.Inode == 0 {
		t.Fatalf("netns = %+v, want %s", n, ns.Name)
	}
	for _, bad := range []string{"no-such-namespace", "/etc/hostname", "-1x"} {
		o = opts()
		o.NetNS = bad
		if _, errOut, code := run(t, o, false); code != 2 || !strings.Contains(errOut, bad) || !strings.Contains(errOut, "ip netns name") {
			t.Errorf("--netns %s: exit %d %q, want 2 naming the value and the valid forms", bad, code, errOut)
		}
	}
}
