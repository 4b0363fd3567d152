package factory_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
)

// serverAs starts this test binary as an HTTP server on loopback that runs
// as uid and reports the Authorization header of each request.
func serverAs(t *testing.T, uid string) (url string, auth *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PORTOLAN_TEST_SERVE_AS="+uid)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("the helper server printed no address")
	}
	addr := sc.Text()
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatalf("helper server: %s", addr)
	}
	return "http://" + addr, sc
}

// withToken makes a state directory whose token file holds tok.
func withToken(t *testing.T, tok string) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	t.Setenv("PORTOLAN_ADDR", "")
	t.Setenv("PORTOLAN_TOKEN", "")
	if err := os.MkdirAll(filepath.Join(state, "portolan"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "portolan", "token"), []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func listAssignments(t *testing.T, f *cmdutil.Factory) error {
	t.Helper()
	svc, err := f.Assignments()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = svc.Assignments(ctx, portolan.AssignmentFilter{})
	return err
}

// A loopback server run by another user (uid 65534) never receives the
// admin token read from this user's state directory: the CLI refuses with
// one line and exit 2 before sending a request. A token given explicitly
// is sent: that is the user's choice.
func TestImplicitTokenOnlyToOwnServer(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to start a server as uid 65534")
	}
	withToken(t, "secret-admin-token")
	url, auth := serverAs(t, "65534")

	f := factory.New("test")
	f.Server = url
	err := listAssignments(t, f)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "not sending the admin token") {
		t.Fatalf("against another user's server: exit %d %q, want 2 refusing to send the token", cmdutil.ExitCode(err), cmdutil.Message(err))
	}
	if strings.Contains(cmdutil.Message(err), "\n") {
		t.Errorf("message is not one line: %q", cmdutil.Message(err))
	}

	f = factory.New("test")
	f.Server, f.Token = url, "given-token"
	if err := listAssignments(t, f); err != nil {
		t.Fatalf("with an explicit token: %v", err)
	}
	if !auth.Scan() || auth.Text() != `auth="Bearer given-token"` {
		t.Fatalf("the server saw %q, want the explicit token only (and never the implicit one)", auth.Text())
	}
}

// The user's own server (here: one this root test runs) gets the token.
func TestImplicitTokenToOwnServer(t *testing.T) {
	withToken(t, "secret-admin-token")
	got := make(chan string, 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("[]"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	f := factory.New("test")
	f.Server = "http://" + ln.Addr().String()
	if err := listAssignments(t, f); err != nil {
		t.Fatalf("against our own server: %v", err)
	}
	if a := <-got; a != "Bearer secret-admin-token" {
		t.Fatalf("our own server saw Authorization %q, want the state directory's token", a)
	}
}
