package docker

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

const testID = "816f37a6fa034c90293df1754afa66a21b84867c40421898a7f35d63d46f5510"

// The list as Docker 20.10 answered it for the container test's shop-api-1.
const listJSON = `[{"Id":"` + testID + `","Names":["/shop-api-1"],"Image":"ptl-busybox:test","Command":"/bin/httpd -f -p 8080",
"Ports":[{"IP":"127.0.0.1","PrivatePort":8080,"PublicPort":18080,"Type":"tcp"},{"PrivatePort":9090,"Type":"tcp"}],
"Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"api"},"State":"running",
"NetworkSettings":{"Networks":{"bridge":{"IPAddress":"10.213.0.2","GlobalIPv6Address":""}}}}]`

// engine serves a fake engine API on a real unix socket and counts the
// requests by path.
func engine(t *testing.T, h http.HandlerFunc) (string, *atomic.Int32) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); h(w, r) })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock, &n
}

func engines(sock string) *Engines {
	return &Engines{SocketFor: func(string) (string, string) { return sock, "" }}
}

func TestFillReadsTheListOnceAndInspectsTheContainersShown(t *testing.T) {
	var stops atomic.Int32
	sock, n := engine(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/containers/json" && r.URL.Query().Get("all") == "1":
			w.Write([]byte(listJSON))
		case r.Method == "GET" && r.URL.Path == "/containers/"+testID+"/json":
			w.Write([]byte(`{"HostConfig":{"RestartPolicy":{"Name":"unless-stopped","MaximumRetryCount":0}}}`))
		case r.Method == "POST" && r.URL.Path == "/containers/"+testID+"/stop" && r.URL.Query().Get("t") == "3":
			stops.Add(1)
			w.WriteHeader(http.StatusNoContent)
		default:
			http.Error(w, `{"message":"no such thing"}`, http.StatusNotFound)
		}
	})
	e := engines(sock)
	h := &portolan.Holder{Container: &portolan.Container{Engine: "docker", ID: testID}}
	socks := []portolan.Socket{{Owner: &portolan.Process{PID: os.Getpid(), Name: "httpd", Holder: h}}, {Owner: &portolan.Process{PID: os.Getpid(), Name: "httpd", Holder: h}}}
	e.Annotate(context.Background(), socks)
	c := h.Container
	if c.Name != "shop-api-1" || c.Image != "ptl-busybox:test" || c.Compose == nil || c.Compose.Project != "shop" || c.Compose.Service != "api" ||
		len(c.Ports) != 1 || c.Ports[0] != (portolan.PublishedPort{Proto: portolan.TCP, HostIP: "127.0.0.1", HostPort: 18080, ContainerPort: 8080}) ||
		c.Restart != "unless-stopped" || c.NoEngine != "" {
		t.Fatalf("container = %+v", c)
	}
	if h.Supervisor == nil || h.Supervisor.Kind != "docker" || h.Supervisor.Stop != "docker stop shop-api-1" {
		t.Errorf("supervisor = %+v; want docker's restart policy", h.Supervisor)
	}
	pub := &portolan.Published{Via: "docker-proxy", Proto: portolan.TCP, Host: "127.0.0.1:18080", Target: "10.213.0.2:8080"}
	e.Complete(context.Background(), 1, &portolan.Holder{Published: pub})
	if pub.Container == nil || pub.Container.Name != "shop-api-1" {
		t.Errorf("published.container = %+v", pub.Container)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d requests to the engine; want one list and one inspect", got)
	}
	if err := e.Stop(context.Background(), c, 2500*time.Millisecond); err != nil || stops.Load() != 1 {
		t.Errorf("Stop: %v (%d stops)", err, stops.Load())
	}
	if err := e.Stop(context.Background(), &portolan.Container{Engine: "docker", ID: strings.Repeat("0", 64)}, time.Second); err == nil || !strings.Contains(err.Error(), "no such thing") {
		t.Errorf("Stop of an unknown container: %v; want the engine's message", err)
	}
}

// No socket, a socket nobody serves, an engine that hangs, a tcp://
// DOCKER_HOST: the container keeps its id, and NoEngine and Why say why,
// within the timeout.
func TestFillWithoutAnEngine(t *testing.T) {
	dead := filepath.Join(t.TempDir(), "dead.sock")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	slow, _ := engine(t, func(w http.ResponseWriter, r *http.Request) { <-hang })
	for _, c := range []struct {
		sock, why, want string
	}{
		{"", "no docker socket (/var/run/docker.sock)", "no docker socket"},
		{filepath.Join(t.TempDir(), "absent.sock"), "", "no engine answers on"},
		{dead, "", "no engine answers on"},
		{slow, "", "did not answer within 500ms"},
	} {
		e := &Engines{SocketFor: func(string) (string, string) { return c.sock, c.why }}
		ct := &portolan.Container{Engine: "docker", ID: testID}
		start := time.Now()
		e.Fill(context.Background(), ct)
		if ct.Name != "" || !strings.Contains(ct.NoEngine, c.want) || time.Since(start) > 2*time.Second {
			t.Errorf("socket %q: container %+v after %s; want no_engine %q", c.sock, ct, time.Since(start), c.want)
		}
		if why := e.Why(); len(why) != 1 || why[0] != ct.NoEngine {
			t.Errorf("Why() = %q", why)
		}
	}
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
	if p, why := SocketFor("docker"); p != "" || !strings.Contains(why, "not a unix:// socket") {
		t.Errorf("SocketFor with a tcp DOCKER_HOST = %q, %q", p, why)
	}
	ct := &portolan.Container{Engine: "containerd", ID: testID}
	(&Engines{}).Fill(context.Background(), ct)
	if ct.NoEngine != "containerd's API is not read" {
		t.Errorf("containerd container: %+v", ct)
	}
}
