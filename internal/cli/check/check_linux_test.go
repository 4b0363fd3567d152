//go:build linux

package check

import (
	"testing"
	"time"

	"github.com/portolan-dev/portolan/internal/testnet"
)

func TestCheckFilteredNamespace(t *testing.T) {
	ns := testnet.New(t, testnet.Options{Delay: 20 * time.Millisecond})
	if _, err := ns.Listen(":8443"); err != nil {
		t.Fatal(err)
	}
	if err := ns.Drop(9000); err != nil {
		t.Fatal(err)
	}
	a := ns.Addr.String()
	start := time.Now()
	out, msg, code := run(&Options{Args: []string{a + ":8443", a + ":9000", a + ":9001"}, Timeout: 300 * time.Millisecond, JSON: false})
	r := rows(out)
	if code != 1 || r[a+" 8443 "+a] != "open" || r[a+" 9000 "+a] != "filtered" || r[a+" 9001 "+a] != "closed" {
		t.Errorf("exit %d %s\n%s", code, msg, out)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Errorf("took %v, want about the 300ms timeout", d)
	}
	if _, _, code := run(&Options{Args: []string{a + ":8443"}}); code != 0 {
		t.Errorf("open only: exit %d", code)
	}
}
