// Package pgtest gives tests a real PostgreSQL database. With
// PORTOLAN_TEST_POSTGRES set (a DSN of a role that may create databases) it
// uses that server; otherwise it starts a private one from Debian's
// postgresql package (initdb and pg_ctl from /usr/lib/postgresql/*/bin) in a
// temporary directory, listening on a free loopback port and on a Unix
// socket inside that directory, as the postgres OS user when the test runs
// as root (initdb refuses root). Each test gets a fresh database.
//
// A package that uses it calls Main from TestMain so that one server serves
// every test of the binary and is stopped at the end:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable that points the tests at an existing server.
const EnvDSN = "PORTOLAN_TEST_POSTGRES"

var (
	mainActive bool
	once       sync.Once
	shared     *Server
	sharedErr  error
	dbSeq      atomic.Int64
)

// Main runs the tests with one shared server and stops it afterwards.
func Main(m *testing.M) int {
	mainActive = true
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Server is a running PostgreSQL that tests create databases in.
type Server struct {
	AdminDSN string // connects as a superuser to the maintenance database
	dir      string // temp dir of a server we started; "" for an external one
	bin      string
	runAs    *osUser // the postgres OS user, when the tests run as root
}

// New returns the DSN of a new, empty database that is dropped when t ends.
// It skips t only when no PostgreSQL binaries are installed and
// PORTOLAN_TEST_POSTGRES is unset.
func New(t testing.TB) string {
	t.Helper()
	srv := server(t)
	name := fmt.Sprintf("portolan_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.AdminDSN)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", srv.AdminDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, srv.AdminDSN); err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return withDatabase(srv.AdminDSN, name)
}

// withDatabase replaces the database of a URL-form DSN.
func withDatabase(dsn, name string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return dsn
	}
	q := ""
	if i := strings.Index(dsn, "?"); i >= 0 {
		q = dsn[i:]
	}
	auth := cfg.User
	if cfg.Password != "" {
		auth += ":" + cfg.Password
	}
	return fmt.Sprintf("postgres://%s@%s/%s%s", auth, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), name, q)
}

func server(t testing.TB) *Server {
	t.Helper()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return &Server{AdminDSN: dsn}
	}
	if !mainActive {
		// No TestMain: a server for this test alone.
		srv, err := Start()
		if err != nil {
			skipOrFail(t, err)
		}
		t.Cleanup(srv.Stop)
		return srv
	}
	once.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		skipOrFail(t, sharedErr)
	}
	return shared
}

type missingError struct{ msg string }

func (e missingError) Error() string { return e.msg }

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if _, ok := err.(missingError); ok {
		t.Skipf("pgtest: %v (install Debian's postgresql package, or set %s to a server's DSN)", err, EnvDSN)
	}
	t.Fatalf("pgtest: %v", err)
}

// binDir returns the newest /usr/lib/postgresql/VERSION/bin holding initdb.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return "", missingError{"no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"}
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(a) - version(b) })
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// Start initialises and starts a private server. Callers Stop it.
func Start() (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "portolan-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, missingError{"running as root and there is no postgres user to run the server as"}
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.runAs = &osUser{uid: uid, gid: gid}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// A free port can be taken between our probe and the server's bind:
	// try a few.
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
		out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			s.AdminDSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return s, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lastErr = fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func (s *Server) run(tool string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, tool), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	cmd.Dir = s.dir
	if s.runAs != nil {
		s.runAs.apply(cmd)
	}
	return cmd.CombinedOutput()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops a server Start started and removes its directory.
func (s *Server) Stop() {
	if s.dir == "" {
		return
	}
	s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(s.dir)
}
