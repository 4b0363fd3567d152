package mcpserver_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/dockertest"
	"github.com/portolan-dev/portolan/mcp"
)

func stopEngines() bool { return dockertest.StopShared() }

// The kill tool never signals docker-proxy, even confirmed: the port is a
// container's, and the refusal names the container and how to stop it.
func TestKillRefusesAContainersPublishedPort(t *testing.T) {
	e := dockertest.Shared(t, dockertest.Options{})
	if _, err := e.Docker("run", "-d", "--init", "--name", "mcp-web", "-p", "127.0.0.1:18086:8080", dockertest.Image, "/bin/httpd", "-f", "-p", "8080"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Docker("rm", "-f", "mcp-web") })
	// The MCP server runs in the engine's namespace, where the port is.
	cmd := e.InNS(os.Args[0], "-test.run=^$")
	state := t.TempDir()
	cmd.Env = append(os.Environ(), "PORTOLAN_MCP_CHILD=1", "XDG_STATE_HOME="+state, "XDG_DATA_HOME="+state, "DOCKER_HOST=unix://"+e.Socket)
	cmd.Stderr = os.Stderr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sdk.NewClient(&sdk.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var r mcp.KillResult
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := call(t, s, "kill", map[string]any{"port": 18086, "confirm": true}, &r)
		if !res.IsError || time.Now().After(deadline) {
			break // an error is "nothing listens": the container is still starting
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(r.Signalled) != 0 || len(r.Refused) != 1 || r.Refused[0].Name != "docker-proxy" ||
		!strings.Contains(r.Refused[0].Reason, "published port of container mcp-web") || !strings.Contains(r.Refused[0].Reason, "docker stop mcp-web") {
		t.Fatalf("kill 18086 confirmed = %+v; want docker-proxy refused, naming mcp-web", r)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(r.Refused[0].PID)); err != nil {
		t.Errorf("docker-proxy (pid %d) is gone", r.Refused[0].PID)
	}
	// why names the container too.
	var w struct{ Report portolan.BindReport }
	call(t, s, "why", map[string]any{"target": "18086"}, &w)
	if c := w.Report.Causes; len(c) == 0 || c[0].Code != portolan.CausePublished || c[0].Facts["container"] != "mcp-web" {
		t.Errorf("why 18086 = %+v; want first the published cause naming mcp-web", c)
	}
}
