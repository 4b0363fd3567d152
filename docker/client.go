// Package docker reads a container engine's API (Docker's; Podman serves
// the same one) over its unix socket with net/http alone: the containers
// behind the processes and forwarders that hold sockets (name, image,
// compose project and service, published ports, restart policy), and a
// container's stop for `portolan kill --container`. Reads are one list
// call per command (plus one inspect per container shown, for its restart
// policy), each with a short timeout; an absent or refused socket leaves
// containers at the id /proc gives, and says why.
package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
)

// Timeout bounds each read of the engine: a hung daemon must not hang ls.
const Timeout = 500 * time.Millisecond

// maxBody bounds what is read of one answer (a list of thousands of
// containers is a few MB).
const maxBody = 32 << 20

// Client talks to one engine's socket.
type Client struct {
	Socket string // the unix socket's path
	http   *http.Client
}

// NewClient returns a client for the unix socket at path.
func NewClient(path string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
		DisableCompression: true,
		MaxIdleConns:       2,
	}
	return &Client{Socket: path, http: &http.Client{Transport: tr}}
}

// SocketFor returns the socket of engine ("docker" or "podman"): for
// docker $DOCKER_HOST, else /var/run/docker.sock; for podman
// $CONTAINER_HOST, else /run/podman/podman.sock, else docker's. An empty
// path comes with the reason (a tcp:// DOCKER_HOST is not read).
func SocketFor(engine string) (path, why string) {
	env, defaults := "DOCKER_HOST", []string{"/var/run/docker.sock"}
	if engine == "podman" {
		env, defaults = "CONTAINER_HOST", []string{"/run/podman/podman.sock", "/var/run/docker.sock"}
	}
	if v := os.Getenv(env); v != "" {
		p, ok := strings.CutPrefix(v, "unix://")
		if !ok || p == "" {
			return "", fmt.Sprintf("%s=%s is not a unix:// socket; only local sockets are read", env, v)
		}
		return p, ""
	}
	for _, d := range defaults {
		if _, err := os.Stat(d); err == nil {
			return d, ""
		}
	}
	return "", "no " + engine + " socket (" + strings.Join(defaults, ", ") + ")"
}

// summary is one container of GET /containers/json.
type summary struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Image  string            `json:"Image"`
	Labels map[string]string `json:"Labels"`
	Ports  []struct {
		IP          string `json:"IP"`
		PrivatePort uint16 `json:"PrivatePort"`
		PublicPort  uint16 `json:"PublicPort"`
		Type        string `json:"Type"`
	} `json:"Ports"`
	NetworkSettings struct {
		Networks map[string]struct {
			IPAddress         string `json:"IPAddress"`
			GlobalIPv6Address string `json:"GlobalIPv6Address"`
		} `json:"Networks"`
	} `json:"NetworkSettings"`
}

// inspect is the part of GET /containers/{id}/json read here.
type inspect struct {
	HostConfig struct {
		RestartPolicy struct {
			Name string `json:"Name"`
		} `json:"RestartPolicy"`
	} `json:"HostConfig"`
}

// list reads every container, running or not.
func (c *Client) list(ctx context.Context) ([]summary, error) {
	var out []summary
	return out, c.get(ctx, "/containers/json?all=1", &out)
}

// restartPolicy reads a container's restart policy ("no", "always",
// "unless-stopped", "on-failure").
func (c *Client) restartPolicy(ctx context.Context, id string) (string, error) {
	if !portolan.IsContainerID(id) {
		return "", fmt.Errorf("%q is not a container id", id)
	}
	var in inspect
	err := c.get(ctx, "/containers/"+id+"/json", &in)
	return in.HostConfig.RestartPolicy.Name, err
}

// Stop stops a container the engine's way (docker stop): SIGTERM (or the
// image's stop signal) to its init, and SIGKILL from the engine after
// grace, rounded up to seconds (0: the container's own stop timeout). It
// waits for the engine's answer, up to the grace and a margin.
func (c *Client) Stop(ctx context.Context, id string, grace time.Duration) error {
	if !portolan.IsContainerID(id) {
		return fmt.Errorf("%q is not a container id", id)
	}
	path, wait := "/containers/"+id+"/stop", 5*time.Minute
	if grace > 0 {
		path += "?t=" + strconv.Itoa(int((grace+time.Second-1)/time.Second))
		wait = grace + 15*time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	resp, err := c.do(ctx, http.MethodPost, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusNotModified: // stopped, or already
		return nil
	}
	return c.status(resp)
}

// do sends one request to the engine; a failure to reach it is explained.
func (c *Client) do(ctx context.Context, method, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://engine"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.explain(err)
	}
	return resp, nil
}

// get reads path's JSON answer into v within Timeout.
func (c *Client) get(ctx context.Context, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	resp, err := c.do(ctx, http.MethodGet, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c.status(resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(v); err != nil {
		return fmt.Errorf("%s: reading %s: %v", c.Socket, path, err)
	}
	return nil
}

// explain turns a failed request into what a user can act on.
func (c *Client) explain(err error) error {
	switch {
	case errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EACCES):
		return fmt.Errorf("permission denied on %s (root, or a member of its group, may read it)", c.Socket)
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("no engine answers on %s", c.Socket)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the engine on %s did not answer within %s", c.Socket, Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %v", c.Socket, err)
}

// status turns an engine's error answer into an error with its message.
func (c *Client) status(resp *http.Response) error {
	var m struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &m) != nil || m.Message == "" {
		m.Message = strings.TrimSpace(string(b))
	}
	return fmt.Errorf("engine on %s: %s: %s", c.Socket, resp.Status, m.Message)
}
