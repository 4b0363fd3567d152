package mcpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/mcpserver"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
	"github.com/portolan-dev/portolan/mcp"
	"github.com/portolan-dev/portolan/registry"
)

// TestMain doubles as `portolan mcp`: with PORTOLAN_MCP_CHILD set, this
// binary serves MCP on its stdin and stdout, wired as the real verb is.
func TestMain(m *testing.M) {
	if os.Getenv("PORTOLAN_MCP_CHILD") != "" {
		f := factory.New("test")
		reg := registry.Embedded()
		lookup := func(ctx context.Context, q string) ([]*portolan.Answer, error) {
			qs, err := portolan.ParseQueries(q)
			if err != nil {
				return nil, err
			}
			host, _ := portolan.ReadHostRanges()
			l := &portolan.Lookup{Registry: reg, Host: &host}
			var out []*portolan.Answer
			for _, q := range qs {
				a, err := l.Answer(ctx, q)
				if err != nil {
					return nil, err
				}
				out = append(out, a)
			}
			return out, nil
		}
		t, err := mcpserver.Tools(f, lookup)
		if err == nil {
			err = mcp.Serve(context.Background(), mcp.NewServer("test", t))
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if !stopEngines() && code == 0 {
		code = 1
	}
	os.Exit(code)
}

// session starts `portolan mcp` (this binary) over real pipes and connects
// the official SDK's client to it.
func session(t *testing.T) *sdk.ClientSession {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	state := t.TempDir()
	cmd.Env = append(os.Environ(), "PORTOLAN_MCP_CHILD=1", "XDG_STATE_HOME="+state, "XDG_DATA_HOME="+state, "PORTSERVER_ADDRESS=", "PORTOLAN_ADDR=")
	cmd.Stderr = os.Stderr
	c := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s, err := c.Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func call(t *testing.T, s *sdk.ClientSession, tool string, args map[string]any, out any) *sdk.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := s.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if out != nil && !res.IsError {
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured content %s: %v", tool, b, err)
		}
	}
	return res
}

// Every tool answers over real pipes with the CLI's JSON shapes.
func TestToolsOverPipes(t *testing.T) {
	s := session(t)
	ctx := context.Background()
	tools, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	for _, want := range []string{"lookup", "ls", "owner", "free", "lease", "release", "port", "ports", "env", "wait", "kill", "why"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("tool %s missing from %v", want, names)
		}
	}
	var look struct{ Answers []portolan.Answer }
	call(t, s, "lookup", map[string]any{"query": "5432"}, &look)
	if len(look.Answers) != 1 || len(look.Answers[0].Records) == 0 || look.Answers[0].Records[0].Name != "postgresql" {
		t.Errorf("lookup 5432 = %+v", look)
	}
	if res := call(t, s, "lookup", map[string]any{"query": "70000"}, nil); !res.IsError {
		t.Error("lookup 70000 is not a tool error")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := ln.Addr().(*net.TCPAddr).Port
	var own struct{ Sockets []portolan.Socket }
	call(t, s, "owner", map[string]any{"port": p}, &own)
	if len(own.Sockets) != 1 || own.Sockets[0].Owner == nil || own.Sockets[0].Owner.PID != os.Getpid() {
		t.Errorf("owner of %d = %+v; want this test process", p, own)
	}
	var wait struct {
		Open bool `json:"open"`
	}
	call(t, s, "wait", map[string]any{"address": "127.0.0.1:" + strconv.Itoa(p), "timeout_ms": 2000}, &wait)
	if !wait.Open {
		t.Error("wait on a listening port did not see it open")
	}

	// why: the test's own listener blocks a bind of its port; a free port binds.
	var blocked struct{ Report portolan.BindReport }
	call(t, s, "why", map[string]any{"target": strconv.Itoa(p) + "/tcp"}, &blocked)
	if blocked.Report.WillBind || len(blocked.Report.Causes) == 0 || blocked.Report.Causes[0].Code != portolan.CauseListener {
		t.Errorf("why %d = %+v; want a listener cause", p, blocked.Report)
	}
	var conn struct{ Report portolan.ConnectReport }
	call(t, s, "why", map[string]any{"target": "127.0.0.1:" + strconv.Itoa(p)}, &conn)
	if res := call(t, s, "why", map[string]any{"target": "nonsense"}, nil); !res.IsError {
		t.Error("why nonsense is not a tool error")
	}

	var free struct{ Leases []portolan.Lease }
	call(t, s, "free", map[string]any{"count": 2}, &free)
	if len(free.Leases) != 2 || free.Leases[0].Port == free.Leases[1].Port {
		t.Errorf("free 2 = %+v", free)
	}
	var rel struct{ Released int }
	call(t, s, "release", map[string]any{"port": int(free.Leases[0].Port)}, &rel)

	dir, _ := filepath.EvalSymlinks(t.TempDir())
	var web, again struct {
		Port int  `json:"port"`
		New  bool `json:"new"`
	}
	call(t, s, "port", map[string]any{"dir": dir, "name": "web"}, &web)
	call(t, s, "port", map[string]any{"dir": dir, "name": "web"}, &again)
	if web.Port == 0 || !web.New || again.Port != web.Port || again.New {
		t.Errorf("port web twice = %+v, %+v; want one port, new once", web, again)
	}
	var env struct{ Env map[string]int }
	call(t, s, "env", map[string]any{"dir": dir}, &env)
	if env.Env["PORT_WEB"] != web.Port {
		t.Errorf("env = %+v, want PORT_WEB=%d", env, web.Port)
	}
	if res := call(t, s, "port", map[string]any{"dir": dir, "name": "bad name"}, nil); !res.IsError {
		t.Error("a bad name is not a tool error")
	}
}

// kill without confirm signals nothing; with confirm it stops the holder;
// it never signals its own parent chain.
func TestKillIsADryRunUnlessConfirmed(t *testing.T) {
	s := session(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	// A child holding the port: sleep inherits the listening socket as fd 3.
	child := exec.Command("sleep", "60")
	sockhold.HandOff(t, ln, child)
	defer child.Process.Kill()
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	var dry mcp.KillResult
	call(t, s, "kill", map[string]any{"port": p}, &dry)
	if !dry.DryRun || len(dry.Signalled) != 1 || dry.Signalled[0].PID != child.Process.Pid {
		t.Fatalf("kill without confirm = %+v; want a dry run naming pid %d", dry, child.Process.Pid)
	}
	select {
	case <-exited:
		t.Fatal("the holder died on a dry run")
	case <-time.After(300 * time.Millisecond):
	}
	var done mcp.KillResult
	call(t, s, "kill", map[string]any{"port": p, "confirm": true}, &done)
	if done.DryRun || len(done.Signalled) != 1 {
		t.Fatalf("kill with confirm = %+v", done)
	}
	select {
	case err := <-exited:
		if ws, ok := child.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGTERM {
			t.Errorf("the holder ended with %v, want SIGTERM", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the holder still runs after kill with confirm")
	}

	// This test process is the MCP server's parent: a port it holds is
	// refused even with confirm.
	mine, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	var refused mcp.KillResult
	call(t, s, "kill", map[string]any{"port": mine.Addr().(*net.TCPAddr).Port, "confirm": true}, &refused)
	if len(refused.Signalled) != 0 || len(refused.Refused) != 1 || !strings.Contains(refused.Refused[0].Reason, "parent chain") {
		t.Errorf("kill of the agent's own port = %+v; want it refused", refused)
	}
}
