package lease_test

import (
	"net"
	"os"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/lease"
)

func TestPortAndListenHelpers(t *testing.T) {
	t.Setenv("PORTOLAN_TEST_LEASES", t.TempDir())
	t.Setenv("PORTSERVER_ADDRESS", "")
	var ports []portolan.Port
	t.Run("take", func(t *testing.T) {
		seen := map[portolan.Port]bool{}
		for range 5 {
			p := lease.Port(t)
			if seen[p] {
				t.Fatalf("lease.Port returned %d twice", p)
			}
			seen[p] = true
			ports = append(ports, p)
		}
		ln := lease.Listen(t)
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Write([]byte("hi"))
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil || string(buf) != "hi" {
			t.Errorf("read %q, %v from the helper's listener", buf, err)
		}
		c.Close()
	})
	// The subtest's cleanups released its leases.
	st, err := lease.NewDirStore(os.Getenv("PORTOLAN_TEST_LEASES"))
	if err != nil {
		t.Fatal(err)
	}
	if ls, _ := st.Leases(ctxT(t)); len(ls) != 0 {
		t.Errorf("leases left after the test ended: %v", ls)
	}
}
