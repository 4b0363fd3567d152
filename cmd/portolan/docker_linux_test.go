package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/dockertest"
)

// portolanIn runs portolan (this test binary) inside the engine's network
// namespace, where its published ports are, with DOCKER_HOST on its socket.
func portolanIn(t *testing.T, e *dockertest.Engine, tty bool, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return portolanRun(t, e, tty, nil, args...)
}

// portolanInWith is portolanIn with more environment.
func portolanInWith(t *testing.T, e *dockertest.Engine, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return portolanRun(t, e, false, env, args...)
}

func portolanRun(t *testing.T, e *dockertest.Engine, tty bool, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var cmd *exec.Cmd
	if tty {
		// script gives the command a terminal: the table with its OWNER column.
		cmd = e.InNS("script", "-qec", os.Args[0]+" "+strings.Join(args, " "), "/dev/null")
		cmd.Env = append(os.Environ(), "COLUMNS=250")
	} else {
		cmd = e.InNS(os.Args[0], args...)
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "PORTOLAN_TEST_AS_CLI=1", "DOCKER_HOST=unix://"+e.Socket, "XDG_STATE_HOME="+t.TempDir(), "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("portolan %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// runContainer starts a container of the test image and removes it at the
// end of the test.
func runContainer(t *testing.T, e *dockertest.Engine, name string, args ...string) string {
	t.Helper()
	run := []string{"run", "-d", "--init", "--name", name}
	if e.Engine == "podman" {
		run = append(run, "--init-path", "/usr/bin/docker-init") // Debian's podman lacks catatonit; docker.io's tini does the job
	}
	id, err := e.Docker(append(run, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Docker("rm", "-f", name) })
	return id
}

// running reports whether the engine says the container runs.
func running(t *testing.T, e *dockertest.Engine, name string) bool {
	out, err := e.Docker("inspect", "-f", "{{.State.Running}}", name)
	if err != nil {
		t.Fatal(err)
	}
	return out == "true"
}

// lsJSON lists the sockets on port in the namespace, waiting up to 10s
// for one to appear (the container's server starts after docker run).
func lsJSON(t *testing.T, e *dockertest.Engine, port string) []portolan.Socket {
	t.Helper()
	return lsJSONWith(t, e, port)
}

func lsJSONWith(t *testing.T, e *dockertest.Engine, port string, env ...string) []portolan.Socket {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, errOut, code := portolanInWith(t, e, env, "ls", "--json", port)
		var socks []portolan.Socket
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &socks); err != nil {
				t.Fatalf("ls --json %s: %v: %s", port, err, out)
			}
			return socks
		}
		if time.Now().After(deadline) {
			t.Fatalf("ls --json %s: nothing listens after 10s: %s %s exit %d", port, out, errOut, code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A port published with the userland proxy is held by docker-proxy; ls
// names the container behind it (compose project and service, the
// container's own address), --container finds it by name, why says the
// container publishes it, and kill refuses to signal the proxy: with
// --container it stops the container through the engine and the port is
// free.
func TestContainerPublishedThroughDockerProxy(t *testing.T) {
	e := dockertest.Shared(t, dockertest.Options{})
	id := runContainer(t, e, "shop-api-1", "-l", "com.docker.compose.project=shop", "-l", "com.docker.compose.service=api",
		"-p", "127.0.0.1:18080:8080", dockertest.Image, "/bin/httpd", "-f", "-p", "8080")
	socks := lsJSON(t, e, "18080")
	if len(socks) != 1 || socks[0].Owner == nil || socks[0].Owner.Name != "docker-proxy" || socks[0].Owner.Holder == nil {
		t.Fatalf("ls --json 18080: %+v; want docker-proxy's socket with a holder", socks)
	}
	pub := socks[0].Owner.Holder.Published
	if pub == nil || pub.Via != "docker-proxy" || pub.Host != "127.0.0.1:18080" || !strings.HasPrefix(pub.Target, "10.213.0.") || !strings.HasSuffix(pub.Target, ":8080") {
		t.Fatalf("holder.published = %+v; want docker-proxy forwarding 127.0.0.1:18080 to 10.213.0.x:8080", pub)
	}
	c := pub.Container
	if c == nil || c.ID != id || c.Name != "shop-api-1" || c.Image != dockertest.Image || c.Compose == nil || *c.Compose != (portolan.Compose{Project: "shop", Service: "api"}) ||
		len(c.Ports) != 1 || c.Ports[0].HostPort != 18080 || c.Ports[0].ContainerPort != 8080 || c.NoEngine != "" {
		t.Fatalf("holder.published.container = %+v; want shop-api-1 %s, compose shop/api, publishing 18080->8080", c, id)
	}

	out, _, code := portolanIn(t, e, true, "ls", "18080")
	if code != 0 || !strings.Contains(out, "OWNER") || !strings.Contains(out, "container shop-api-1 (compose shop/api) published to "+pub.Target) {
		t.Errorf("ls 18080 on a terminal: exit %d\n%s\nwant the OWNER column naming the container", code, out)
	}
	for name, want := range map[string]int{"shop-api-1": 0, id[:12]: 0, "shop-web-1": 1} {
		out, errOut, code := portolanIn(t, e, false, "ls", "--container", name)
		if code != want || (want == 0) != strings.Contains(out, "\t18080\t") {
			t.Errorf("ls --container %s: %q %q exit %d, want exit %d", name, out, errOut, code, want)
		}
	}

	out, _, _ = portolanIn(t, e, false, "why", "18080", "--json")
	var r portolan.BindReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("why 18080 --json: %v: %s", err, out)
	}
	if len(r.Causes) == 0 || r.Causes[0].Code != portolan.CausePublished || !r.Causes[0].Blocks || r.Causes[0].Facts["container"] != "shop-api-1" ||
		r.Causes[0].Facts["compose"] != "shop/api" || r.Causes[0].Facts["target"] != pub.Target || !strings.Contains(r.Causes[0].Fix, "kill 18080 --container") {
		t.Errorf("why 18080: %+v; want first the published cause naming shop-api-1", r.Causes)
	}

	out, errOut, code := portolanIn(t, e, false, "kill", "18080")
	if code != 1 || !strings.Contains(errOut, "published by container shop-api-1 (compose shop/api)") || !strings.Contains(errOut, "--container") ||
		!strings.Contains(errOut, "docker stop shop-api-1") || strings.Contains(out, "sent") {
		t.Fatalf("kill 18080: %q %q exit %d; want a refusal naming the container", out, errOut, code)
	}
	if !running(t, e, "shop-api-1") || len(lsJSON(t, e, "18080")) != 1 {
		t.Fatal("kill without --container touched the container or its proxy")
	}
	out, errOut, code = portolanIn(t, e, false, "kill", "18080", "--container", "--dry-run")
	if code != 0 || !strings.Contains(out, "would stop container shop-api-1") || !running(t, e, "shop-api-1") {
		t.Fatalf("kill 18080 --container --dry-run: %q %q exit %d", out, errOut, code)
	}
	out, errOut, code = portolanIn(t, e, false, "kill", "18080", "--container", "--json")
	var res struct {
		Containers []struct{ ID, Name, Action string }
		Ports      []struct{ Port, State string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || len(res.Containers) != 1 || res.Containers[0].Name != "shop-api-1" ||
		res.Containers[0].ID != id || len(res.Ports) != 1 || res.Ports[0].State != "free" {
		t.Fatalf("kill 18080 --container --json: %q %q exit %d (%v); want shop-api-1 stopped and 18080 free", out, errOut, code, err)
	}
	if running(t, e, "shop-api-1") {
		t.Error("the container still runs after kill --container")
	}
	if _, _, code := portolanIn(t, e, false, "ls", "18080"); code != 1 {
		t.Errorf("ls 18080 after kill --container: exit %d, want 1 (nothing listens)", code)
	}
}

// A process in a container with a restart policy is supervised by the
// engine: ls names the container and the policy, kill refuses it without
// --force and names `docker stop`, and kill --container stops it.
func TestContainerWithRestartPolicy(t *testing.T) {
	e := dockertest.Shared(t, dockertest.Options{})
	// The host network (the engine's namespace): the container's own
	// httpd holds the socket.
	runContainer(t, e, "always-up", "--restart", "unless-stopped", "--network", "host", dockertest.Image, "/bin/httpd", "-f", "-p", "127.0.0.1:18081")
	socks := lsJSON(t, e, "18081")
	if len(socks) != 1 || socks[0].Owner == nil || socks[0].Owner.Holder == nil {
		t.Fatalf("ls --json 18081: %+v", socks)
	}
	h := socks[0].Owner.Holder
	if h.Container == nil || h.Container.Name != "always-up" || h.Container.Restart != "unless-stopped" ||
		h.Supervisor == nil || h.Supervisor.Kind != "docker" || h.Supervisor.Stop != "docker stop always-up" {
		t.Fatalf("holder = %+v (container %+v, supervisor %+v); want always-up under docker's restart policy", h, h.Container, h.Supervisor)
	}
	pid := socks[0].Owner.PID
	out, errOut, code := portolanIn(t, e, false, "kill", "18081")
	if code != 1 || !strings.Contains(errOut, "runs under docker") || !strings.Contains(errOut, "docker stop always-up") || strings.Contains(out, "sent") {
		t.Fatalf("kill 18081: %q %q exit %d; want a refusal naming docker stop", out, errOut, code)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		t.Fatalf("pid %d is gone after the refusal", pid)
	}
	out, errOut, code = portolanIn(t, e, false, "kill", "18081", "--container")
	if code != 0 || !strings.Contains(out, "stopped container always-up") || !strings.Contains(out, "port 18081 is free") {
		t.Fatalf("kill 18081 --container: %q %q exit %d", out, errOut, code)
	}
	if running(t, e, "always-up") {
		t.Error("the container still runs after kill --container")
	}
}

// Without the userland proxy a published port is DNAT rules, and dockerd
// itself keeps the port bound: ls and why name the container behind
// dockerd's socket, --exposure says docker-dnat, and kill never signals
// dockerd: it names the container, and stops it with --container.
func TestContainerPublishedByDNATOnly(t *testing.T) {
	e := dockertest.Shared(t, dockertest.Options{NoUserlandProxy: true, Bridge: "10.214.0.1/24"})
	runContainer(t, e, "dnat-only", "-p", "18090:8080", dockertest.Image, "/bin/httpd", "-f", "-p", "8080")
	socks := lsJSON(t, e, "18090")
	if len(socks) != 1 || socks[0].Owner == nil || socks[0].Owner.Name != "dockerd" || socks[0].Owner.Holder == nil ||
		socks[0].Owner.Holder.Published == nil || socks[0].Owner.Holder.Published.Container == nil ||
		socks[0].Owner.Holder.Published.Container.Name != "dnat-only" || !strings.HasPrefix(socks[0].Owner.Holder.Published.Target, "10.214.0.") {
		t.Fatalf("ls --json 18090: %+v; want dockerd's socket attributed to dnat-only", socks)
	}
	out, _, code := portolanIn(t, e, false, "ls", "--exposure", "18090")
	if code != 0 || !strings.Contains(out, "docker-dnat") {
		t.Errorf("ls --exposure 18090: exit %d\n%s\nwant the docker-dnat verdict", code, out)
	}
	out, _, _ = portolanIn(t, e, false, "why", "18090", "--json")
	var r portolan.BindReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("why 18090 --json: %v: %s", err, out)
	}
	if len(r.Causes) == 0 || r.Causes[0].Code != portolan.CausePublished || r.Causes[0].Facts["via"] != "dockerd" || r.Causes[0].Facts["container"] != "dnat-only" {
		t.Fatalf("why 18090: causes %+v; want first the published cause naming dnat-only", r.Causes)
	}
	out, errOut, code := portolanIn(t, e, false, "kill", "18090")
	if code != 1 || !strings.Contains(errOut, "published by container dnat-only") || strings.Contains(out, "sent") {
		t.Fatalf("kill 18090: %q %q exit %d", out, errOut, code)
	}
	out, errOut, code = portolanIn(t, e, false, "kill", "18090", "--container")
	if code != 0 || !strings.Contains(out, "stopped container dnat-only") || !strings.Contains(out, "port 18090 is free") || running(t, e, "dnat-only") {
		t.Fatalf("kill 18090 --container: %q %q exit %d", out, errOut, code)
	}
}

// With no engine socket readable a container keeps the id its cgroup
// gives, and ls says why on stderr.
func TestContainerWithoutEngineSocket(t *testing.T) {
	e := dockertest.Shared(t, dockertest.Options{})
	id := runContainer(t, e, "no-api", "--network", "host", dockertest.Image, "/bin/httpd", "-f", "-p", "127.0.0.1:18082")
	lsJSON(t, e, "18082")
	cmd := e.InNS(os.Args[0], "ls", "--json", "18082")
	cmd.Env = append(os.Environ(), "PORTOLAN_TEST_AS_CLI=1", "DOCKER_HOST=unix://"+e.Dir+"/absent.sock", "XDG_STATE_HOME="+t.TempDir())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ls --json 18082: %v: %s", err, errb.String())
	}
	var socks []portolan.Socket
	if err := json.Unmarshal(out.Bytes(), &socks); err != nil || len(socks) != 1 || socks[0].Owner == nil || socks[0].Owner.Holder == nil {
		t.Fatalf("ls --json 18082: %v: %s", err, out.String())
	}
	c := socks[0].Owner.Holder.Container
	if c == nil || c.ID != id || c.Name != "" || !strings.Contains(c.NoEngine, "absent.sock") ||
		!strings.Contains(errb.String(), "containers show their id only") {
		t.Fatalf("container %+v, stderr %q; want the id only, and why", c, errb.String())
	}

	// A published port stays the container's without the engine: kill
	// names the container's address from docker-proxy's command line and
	// signals nothing.
	runContainer(t, e, "no-api-published", "-p", "127.0.0.1:18083:8080", dockertest.Image, "/bin/httpd", "-f", "-p", "8080")
	proxy := lsJSON(t, e, "18083")[0].Owner.PID
	noEngine := []string{"DOCKER_HOST=unix://" + e.Dir + "/absent.sock"}
	out2, errOut, code := portolanInWith(t, e, noEngine, "kill", "18083", "--container")
	if code != 1 || !strings.Contains(errOut, "is a container's published port: docker-proxy (pid ") || !strings.Contains(errOut, "absent.sock") ||
		strings.Contains(out2, "sent") || !running(t, e, "no-api-published") {
		t.Fatalf("kill 18083 --container without the engine: %q %q exit %d; want a refusal", out2, errOut, code)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(proxy)); err != nil {
		t.Fatalf("docker-proxy (pid %d) is gone", proxy)
	}
}

// Rootful Podman serves the same API: conmon keeps the published port,
// and ls, why and kill name the Podman container behind it; kill
// --container stops it through Podman's API.
func TestPodmanPublishedPort(t *testing.T) {
	if why := dockertest.PodmanAvailable(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dockertest: %s", why)
		}
		t.Skipf("dockertest: %s", why)
	}
	e := dockertest.Shared(t, dockertest.Options{Podman: true})
	id := runContainer(t, e, "pod-web", "-p", "127.0.0.1:18085:8080", dockertest.Image, "/bin/httpd", "-f", "-p", "8080")
	socks := lsJSONWith(t, e, "18085", "CONTAINER_HOST=unix://"+e.Socket)
	if len(socks) != 1 || socks[0].Owner == nil || socks[0].Owner.Holder == nil || socks[0].Owner.Holder.Published == nil {
		t.Fatalf("ls --json 18085: %+v; want the published port's holder", socks)
	}
	pub := socks[0].Owner.Holder.Published
	if pub.Via != socks[0].Owner.Name || pub.Container == nil || pub.Container.Engine != "podman" || pub.Container.ID != id ||
		pub.Container.Name != "pod-web" || !strings.HasPrefix(pub.Target, "10.215.0.") || !strings.HasSuffix(pub.Target, ":8080") {
		t.Fatalf("holder.published = %+v (container %+v); want pod-web on 10.215.0.x:8080", pub, pub.Container)
	}
	out, errOut, code := portolanInWith(t, e, []string{"CONTAINER_HOST=unix://" + e.Socket}, "kill", "18085")
	if code != 1 || !strings.Contains(errOut, "published by container pod-web") || !strings.Contains(errOut, "podman stop pod-web") {
		t.Fatalf("kill 18085: %q %q exit %d", out, errOut, code)
	}
	out, errOut, code = portolanInWith(t, e, []string{"CONTAINER_HOST=unix://" + e.Socket}, "kill", "18085", "--container")
	if code != 0 || !strings.Contains(out, "stopped container pod-web") || !strings.Contains(out, "port 18085 is free") || running(t, e, "pod-web") {
		t.Fatalf("kill 18085 --container: %q %q exit %d", out, errOut, code)
	}
}
