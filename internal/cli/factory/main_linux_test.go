package factory_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
)

// TestMain doubles as a helper process: with PORTOLAN_TEST_SERVE_AS set to
// a uid it drops to that uid, then listens on loopback and prints the
// Authorization header of every request it answers, so a test sees what a
// server run by another user would receive.
func TestMain(m *testing.M) {
	if uid := os.Getenv("PORTOLAN_TEST_SERVE_AS"); uid != "" {
		serveAs(uid)
		return
	}
	os.Exit(m.Run())
}

func serveAs(uid string) {
	var id int
	fmt.Sscan(uid, &id)
	if err := syscall.Setgid(id); err != nil {
		fmt.Println("setgid:", err)
		os.Exit(1)
	}
	if err := syscall.Setuid(id); err != nil {
		fmt.Println("setuid:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, ln.Addr())
	out.Flush()
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(out, "auth=%q\n", r.Header.Get("Authorization"))
		out.Flush()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "[]")
	}))
}
