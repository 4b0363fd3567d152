package serve_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/postgres/pgtest"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/storetest"
)

// The test binary doubles as `portolan serve` for the multi-process test:
// with PORTOLAN_SERVE_CHILD set it runs the verb with the given arguments.
func TestMain(m *testing.M) {
	if args := os.Getenv("PORTOLAN_SERVE_CHILD"); args != "" {
		os.Exit(child(strings.Fields(args)))
	}
	if os.Getenv("PORTOLAN_LISTEN_CHILD") != "" {
		// A process with a secret in its argv that listens until stdin closes.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(1)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	os.Exit(pgtest.Main(m))
}

func child(args []string) int {
	ios := iostreams.System()
	f := &cmdutil.Factory{IOStreams: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir}
	cmd := serve.NewCmdServe(f)
	cmd.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }() // parent gone or closed stdin: stop
	if err := cmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "portolan:", cmdutil.Message(err))
		return cmdutil.ExitCode(err)
	}
	return 0
}

var psSeq int

// start runs serve in-process and returns its URL and a stop function.
func start(t *testing.T, o serve.Options) (string, func()) {
	t.Helper()
	ios, _, _, errOut := iostreams.Test()
	o.IO, o.Registry, o.OpenStore, o.StateDir = ios, registry.Default, factory.OpenStore, factory.StateDir
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	ready := make(chan string, 1)
	o.Ready = func(u string) { ready <- u }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.Run(ctx, &o) }()
	select {
	case u := <-ready:
		return u, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("serve did not start: %v (%s)", err, errOut)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start in 30s")
	}
	return "", nil
}

func TestServeSQLite(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	psSeq++
	ps := fmt.Sprintf("@portolan-serve-test-%d-%d", os.Getpid(), psSeq)
	url, stop := start(t, serve.Options{Portserver: ps, ReadTokens: []string{"read-only-token-0123456789"}})

	tokenFile := filepath.Join(state, "portolan", "token")
	fi, err := os.Stat(tokenFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file %s: %v, mode %v; want created with 0600", tokenFile, err, fi.Mode())
	}
	b, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(b))
	ctx := context.Background()
	admin := porthttp.NewClient(url, token)
	if err := admin.Health(ctx); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	if _, err := porthttp.NewClient(url, "").Assign(ctx, &portolan.Assignment{Port: 8123, Proto: portolan.TCP, Name: "billing"}, false); portolan.ErrorCode(err) != portolan.EUNAUTHORIZED {
		t.Fatalf("assign without a token = %v, want EUNAUTHORIZED", err)
	}
	if _, err := porthttp.NewClient(url, "read-only-token-0123456789").Assign(ctx, &portolan.Assignment{Port: 8123, Proto: portolan.TCP, Name: "billing"}, false); portolan.ErrorCode(err) != portolan.EFORBIDDEN {
		t.Fatalf("assign with a read token = %v, want EFORBIDDEN", err)
	}
	// The real registry: 5432/tcp is postgresql at IANA.
	if _, err := admin.Assign(ctx, &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "billing-db"}, false); !strings.Contains(fmt.Sprint(err), "assigned by IANA to postgresql") {
		t.Fatalf("assign 5432/tcp = %v; want the IANA conflict", err)
	}
	if _, err := admin.Assign(ctx, &portolan.Assignment{Port: 8123, Proto: portolan.TCP, Name: "billing"}, false); err != nil {
		t.Fatal(err)
	}
	ls, err := admin.Grant(ctx, portolan.LeaseRequest{Count: 2, Proto: portolan.TCP, TTL: time.Hour})
	if err != nil || len(ls) != 2 {
		t.Fatalf("grant over HTTP = %+v, %v", ls, err)
	}
	// The portserver socket hands out a port for this (live) process.
	c, err := net.Dial("unix", ps)
	if err != nil {
		t.Fatalf("portserver %s: %v", ps, err)
	}
	fmt.Fprintf(c, "%d\n", os.Getpid())
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	pp, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil || pp <= 0 || pp > 65535 {
		t.Fatalf("portserver answered %q, %v", line, err)
	}
	// The web page is at "/", beside the API.
	resp, err := http.Get(url + "/")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %v, %v; want the web page", resp, err)
	}
	resp.Body.Close()
	if info, err := admin.Port(ctx, "https"); err != nil || len(info.Records) == 0 {
		t.Fatalf("GET /v1/ports/https = %+v, %v", info, err)
	}
	stop()

	// A restart keeps the assignment and the leases (same state directory).
	url, stop = start(t, serve.Options{Portserver: ""})
	defer stop()
	admin = porthttp.NewClient(url, token)
	as, err := admin.Assignments(ctx, portolan.AssignmentFilter{})
	if err != nil || len(as) != 1 || as[0].Name != "billing" {
		t.Fatalf("after restart: assignments %+v, %v", as, err)
	}
	live, err := admin.Leases(ctx)
	if err != nil || len(live) < 2 {
		t.Fatalf("after restart: leases %+v, %v; want the two granted", live, err)
	}
}

func TestServeRefusesBadSetup(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	ios, _, _, _ := iostreams.Test()
	tf := filepath.Join(state, "loose-token")
	os.WriteFile(tf, []byte("admin-token-0123456789\n"), 0o644)
	err := serve.Run(context.Background(), &serve.Options{IO: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir, Listen: "127.0.0.1:0", TokenFile: tf})
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "open to group or others (mode 644): want mode 0600") {
		t.Errorf("world-readable token file: %v", err)
	}
	err = serve.Run(context.Background(), &serve.Options{IO: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir, Listen: "127.0.0.1:99999"})
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "cannot listen on 127.0.0.1:99999") {
		t.Errorf("bad --listen: %v", err)
	}
	// A portserver socket another server holds: say how to pick another.
	ps := fmt.Sprintf("@portolan-test-taken-%d", os.Getpid())
	_, stop := start(t, serve.Options{Portserver: ps})
	defer stop()
	err = serve.Run(context.Background(), &serve.Options{IO: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir, Listen: "127.0.0.1:0", Portserver: ps})
	if msg := cmdutil.Message(err); cmdutil.ExitCode(err) != 2 || !strings.Contains(msg, "cannot listen on portserver socket "+ps) || !strings.Contains(msg, "--portserver= for none") {
		t.Errorf("a taken portserver socket: exit %d %q", cmdutil.ExitCode(err), msg)
	}
}

// Flags that would not fail on their own are refused, one line naming the
// flag and the form wanted, before anything listens.
func TestServeBadFlags(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("PORTOLAN_STORE", "")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--listen", ""}, "--listen is empty: want HOST:PORT, e.g. 127.0.0.1:7780 (0.0.0.0:7780 for every interface)"},
		{[]string{"--reclaim-every", "-1s"}, "--reclaim-every -1s is negative: want a duration such as 5s, or 0 to reclaim only on start"},
		{[]string{"--fleet-history", "-1h"}, "--fleet-history -1h0m0s: want a duration of 1h or more, such as 2160h (90 days), or 0 to keep every event"},
		{[]string{"--fleet-history", "30m"}, "--fleet-history 30m0s: want a duration of 1h or more, such as 2160h (90 days), or 0 to keep every event"},
		{[]string{"--store", "mysql://db/ports"}, `store "mysql://db/ports" is not sqlite:PATH, a file path or postgres://...`},
		{[]string{"--admin-token", "admin-token-0123456789"}, `--admin-token is refused: a token on the command line is visible to every local user (ps); put it in --token-file FILE (lines "admin SECRET" or "read SECRET NAME", mode 0600) or in $PORTOLAN_ADMIN_TOKEN`},
		{[]string{"--read-token=read-token-0123456789"}, `--read-token is refused: a token on the command line is visible to every local user (ps); put it in --token-file FILE (lines "admin SECRET" or "read SECRET NAME", mode 0600) or in $PORTOLAN_READ_TOKEN`},
		{[]string{"--store", "postgres://app:s3cret@127.0.0.1/ports"}, "--store postgres://app@127.0.0.1/ports carries a password, which every local user can read in the command line: put the password in PGPASSFILE (~/.pgpass), or the whole DSN in --store-file FILE (mode 0600) or $PORTOLAN_STORE"},
		{[]string{"--store", "postgresql://app@127.0.0.1/ports?sslmode=disable&password=s3cret"}, "--store postgresql://app@127.0.0.1/ports?sslmode=disable carries a password, which every local user can read in the command line: put the password in PGPASSFILE (~/.pgpass), or the whole DSN in --store-file FILE (mode 0600) or $PORTOLAN_STORE"},
		{[]string{"--store", "sqlite:/tmp/x.db", "--store-file", "/etc/hostname"}, "--store and --store-file are both given: want one of them"},
		{[]string{"--store-file", "/dev/zero"}, "store file /dev/zero is a device, not a regular file: want a text file with mode 0600"},
	} {
		ios, _, _, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir}
		cmd := serve.NewCmdServe(f)
		cmd.SetArgs(append([]string{"--listen", "127.0.0.1:0", "--portserver", ""}, tc.args...))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := cmd.ExecuteContext(ctx)
		cancel()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != tc.msg {
			t.Errorf("serve %q: exit %d %q, want 2 %q", tc.args, cmdutil.ExitCode(err), cmdutil.Message(err), tc.msg)
		}
	}
	// Tokens from the environment are checked like any other, named by
	// the variable (the secret is not repeated).
	for env, msg := range map[string]string{
		"PORTOLAN_ADMIN_TOKEN": "$PORTOLAN_ADMIN_TOKEN #2 is too short: want at least 16 characters",
		"PORTOLAN_READ_TOKEN":  "$PORTOLAN_READ_TOKEN #2 is too short: want at least 16 characters",
	} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "token-0123456789abcdef short")
			ios, _, _, _ := iostreams.Test()
			cmd := serve.NewCmdServe(&cmdutil.Factory{IOStreams: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir})
			cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--portserver", ""})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := cmd.ExecuteContext(ctx); cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != msg {
				t.Errorf("exit %d %q, want 2 %q", cmdutil.ExitCode(err), cmdutil.Message(err), msg)
			}
		})
	}
}

// proc is one `portolan serve` child process.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

func spawn(t *testing.T, state string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "PORTOLAN_SERVE_CHILD="+strings.Join(args, " "), "XDG_STATE_HOME="+state), env...)
	stdin, _ := cmd.StdinPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	got := make(chan string, 1)
	go func() {
		var all []string
		for sc.Scan() {
			line := sc.Text()
			all = append(all, line)
			if _, rest, ok := strings.Cut(line, "portolan serve: API "); ok {
				got <- strings.SplitN(rest, ",", 2)[0]
				break
			}
		}
		got <- "failed: " + strings.Join(all, " | ")
		io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-got:
		if strings.HasPrefix(u, "failed") {
			t.Fatalf("serve child: %s", u)
		}
		p.url = u
	case <-time.After(60 * time.Second):
		t.Fatal("serve child did not start in 60s")
	}
	return p
}

// Several `portolan serve` processes share one PostgreSQL: assignments
// raced through two processes have exactly one winner each, leases
// granted through both never share a port, and both answer the same.
func TestSeveralServeProcessesSharePostgres(t *testing.T) {
	dsn := pgtest.New(t)
	state := t.TempDir()
	token := "shared-admin-token-0123456789"
	var procs []*proc
	for range 2 {
		procs = append(procs, spawn(t, state, []string{"PORTOLAN_ADMIN_TOKEN=" + token, "PORTOLAN_STORE=" + dsn}, "--listen", "127.0.0.1:0", "--portserver="))
	}
	ctx := context.Background()
	clients := []*porthttp.Client{porthttp.NewClient(procs[0].url, token), porthttp.NewClient(procs[1].url, token)}
	for round := range 10 {
		port := portolan.Port(7200 + round)
		storetest.OneWins(t, fmt.Sprintf("round %d: assigners of %d/tcp", round, port), 4, func(i int) error {
			_, err := clients[i%2].Assign(ctx, &portolan.Assignment{Port: port, Proto: portolan.TCP, Name: fmt.Sprintf("svc-%d", i)}, true)
			return err
		})
	}
	// Leases through both servers at once: no port twice.
	var mu sync.Mutex
	seen := map[portolan.Port]int{}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 10 {
				ls, err := clients[i%2].Grant(ctx, portolan.LeaseRequest{Count: 2, Proto: portolan.TCP, TTL: time.Hour})
				if err != nil {
					t.Errorf("grant via server %d: %v", i%2, err)
					return
				}
				mu.Lock()
				for _, l := range ls {
					seen[l.Port]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for p, n := range seen {
		if n > 1 {
			t.Errorf("port %d was leased %d times across the two servers", p, n)
		}
	}
	a, _ := clients[0].Assignments(ctx, portolan.AssignmentFilter{})
	b, _ := clients[1].Assignments(ctx, portolan.AssignmentFilter{})
	la, _ := clients[0].Leases(ctx)
	lb, _ := clients[1].Leases(ctx)
	if len(a) != 10 || len(b) != 10 || len(la) != len(seen) || len(lb) != len(seen) {
		t.Fatalf("servers see %d/%d assignments and %d/%d leases; want 10 and %d on both", len(a), len(b), len(la), len(lb), len(seen))
	}
}

// --reserve-kernel keeps leased ports in ip_local_reserved_ports while
// leased (a stand-in file here: the host's own file is not the test's to
// change) and leaves the file as it found it on shutdown.
func TestServeReserveKernel(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	file := filepath.Join(t.TempDir(), "ip_local_reserved_ports")
	os.WriteFile(file, []byte("8080\n"), 0o644)
	url, stop := start(t, serve.Options{Portserver: "", ReserveKernel: true, ReservedPortsFile: file, AdminTokens: []string{"admin-token-0123456789"}})
	c := porthttp.NewClient(url, "admin-token-0123456789")
	ctx := context.Background()
	ls, err := c.Grant(ctx, portolan.LeaseRequest{Count: 1, Proto: portolan.TCP})
	if err != nil {
		t.Fatal(err)
	}
	p := ls[0].Port.String()
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), p) || !strings.Contains(string(b), "8080") {
		t.Fatalf("after the grant the file holds %q; want 8080 and %s", b, p)
	}
	if err := c.Release(ctx, ls[0].Port); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), p) {
		t.Fatalf("after the release the file still holds %s: %q", p, b)
	}
	c.Grant(ctx, portolan.LeaseRequest{Count: 2, Proto: portolan.TCP})
	stop()
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != "8080" {
		t.Fatalf("after shutdown the file holds %q; want it as found (8080)", b)
	}
}

// --store-file holds the store spec (a DSN with a password stays out of
// argv); the file gets the token file's checks.
func TestServeStoreFile(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("PORTOLAN_STORE", "")
	dir := t.TempDir()
	db := filepath.Join(dir, "from-file.db")
	sf := filepath.Join(dir, "store")
	os.WriteFile(sf, []byte("sqlite:"+db+"\n"), 0o600)
	ios, _, _, _ := iostreams.Test()
	cmd := serve.NewCmdServe(&cmdutil.Factory{IOStreams: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir})
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--portserver", "", "--store-file", sf})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(db); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve --store-file did not open %s", db)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	os.Chmod(sf, 0o640)
	cmd = serve.NewCmdServe(&cmdutil.Factory{IOStreams: ios, Registry: registry.Default, OpenStore: factory.OpenStore, StateDir: factory.StateDir})
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--portserver", "", "--store-file", sf})
	if err := cmd.ExecuteContext(context.Background()); cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "store file "+sf+" is open to group or others (mode 640)") {
		t.Errorf("a loose store file: exit %d %q", cmdutil.ExitCode(err), cmdutil.Message(err))
	}
}

// A real process listening with a secret in its command line: anonymous
// and read-token callers see its pid and name only, an admin sees its
// command line with the secret masked.
func TestServeHidesCommandLines(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	const secret = "argv-secret-0123456789"
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--admin-token", secret)
	cmd.Env = append(os.Environ(), "PORTOLAN_LISTEN_CHILD=1")
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	port := strings.TrimSpace(line)

	url, stop := start(t, serve.Options{Portserver: "", ReadTokens: []string{"read-only-token-0123456789"}})
	defer stop()
	b, _ := os.ReadFile(filepath.Join(state, "portolan", "token"))
	admin := strings.TrimSpace(string(b))
	fetch := func(path, token string) string { return porthttptest.Get(t, url+path, token) }
	pid := fmt.Sprintf(`"pid":%d`, cmd.Process.Pid)
	for _, token := range []string{"", "read-only-token-0123456789"} {
		for _, path := range []string{"/v1/sockets", "/v1/ports/" + port} {
			body := fetch(path, token)
			if !strings.Contains(body, pid) || strings.Contains(body, secret) || strings.Contains(body, "cmdline") {
				t.Errorf("GET %s (token %q) = %s; want the pid, no command line", path, token, body)
			}
		}
	}
	body := fetch("/v1/sockets", admin)
	if !strings.Contains(body, `"--admin-token","xxxxx"`) || strings.Contains(body, secret) {
		t.Errorf("admin GET /v1/sockets = %s; want the command line with the token masked", body)
	}
}
