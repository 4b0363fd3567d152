package ls

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

// A process named with escape sequences prints as inert text in the table,
// on a pipe and under --watch.
func TestLsSanitisesProcessNames(t *testing.T) {
	h := sockhold.StartHostile(t, "tcp:127.0.0.1:0")
	for _, tty := range []bool{true, false} {
		o := opts()
		o.Port = h.Ports[0].String()
		out, errOut, code := run(t, o, tty)
		if code != 0 || !strings.Contains(out, "x?]0;pwn??[2J") || strings.ContainsAny(out+errOut, "\x1b\x07") {
			t.Errorf("tty=%v: %q %q exit %d; want the name sanitised", tty, out, errOut, code)
		}
	}
}
