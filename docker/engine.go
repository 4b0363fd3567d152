package docker

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/procfs"
)

// Engines reads each engine's container list at most once: make one per
// command (or per --watch frame). Safe for concurrent use.
type Engines struct {
	// SocketFor overrides the package's SocketFor (tests).
	SocketFor func(engine string) (path, why string)

	mu      sync.Mutex
	snaps   map[string]*snapshot
	pending []pending // filled containers whose restart policy is not read yet
}

// snapshot is one engine's list, read once, and the restart policies
// inspected so far.
type snapshot struct {
	client  *Client
	list    []summary
	why     string // why the list is missing
	restart map[string]string
}

// hasAPI: the container's engine serves the API read here; containerd
// and CRI-O speak gRPC, which is not read.
func hasAPI(kind string) bool { return kind == "docker" || kind == "podman" }

// snap returns engine's list, reading it on first use.
func (e *Engines) snap(ctx context.Context, engine string) *snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.snaps[engine]; ok {
		return s
	}
	if e.snaps == nil {
		e.snaps = map[string]*snapshot{}
	}
	s := &snapshot{restart: map[string]string{}}
	e.snaps[engine] = s
	path, why := e.socket(engine)
	if path == "" {
		s.why = why
		return s
	}
	s.client = NewClient(path)
	list, err := s.client.list(ctx)
	if err != nil {
		s.why = err.Error()
		return s
	}
	s.list = list
	return s
}

// Why returns the reasons engines could not be read, once each: what a
// one-line note says when containers show their id only.
func (e *Engines) Why() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, s := range e.snaps {
		if s.why != "" && !slices.Contains(out, s.why) {
			out = append(out, s.why)
		}
	}
	return out
}

// Fill sets c's name, image, compose project and service, published ports
// and restart policy from its engine, or c.NoEngine to why not.
func (e *Engines) Fill(ctx context.Context, c *portolan.Container) {
	e.fillContainer(ctx, c)
	e.resolve(ctx)
}

// fillContainer is Fill without the restart policy, which the next
// resolve reads.
func (e *Engines) fillContainer(ctx context.Context, c *portolan.Container) {
	if c == nil || c.Name != "" || c.NoEngine != "" {
		return
	}
	if !hasAPI(c.Engine) {
		c.NoEngine = c.Engine + "'s API is not read"
		return
	}
	s := e.snap(ctx, c.Engine)
	if s.client == nil || s.list == nil {
		c.NoEngine = s.why
		return
	}
	for i := range s.list {
		if s.list[i].ID == c.ID {
			e.fill(ctx, s, &s.list[i], c)
			return
		}
	}
	c.NoEngine = "the engine on " + s.client.Socket + " does not list it"
}

// fill copies one listed container into c; its restart policy is read by
// the next resolve.
func (e *Engines) fill(ctx context.Context, s *snapshot, sum *summary, c *portolan.Container) {
	c.ID = sum.ID
	if len(sum.Names) > 0 {
		c.Name = strings.TrimPrefix(sum.Names[0], "/")
	}
	c.Image = sum.Image
	if p, sv := sum.Labels["com.docker.compose.project"], sum.Labels["com.docker.compose.service"]; p != "" || sv != "" {
		c.Compose = &portolan.Compose{Project: p, Service: sv}
	}
	c.Ports = nil
	for _, p := range sum.Ports {
		if p.PublicPort == 0 {
			continue // exposed, not published
		}
		proto, err := portolan.ParseProto(p.Type)
		if err != nil {
			continue
		}
		c.Ports = append(c.Ports, portolan.PublishedPort{Proto: proto, HostIP: p.IP, HostPort: portolan.Port(p.PublicPort), ContainerPort: portolan.Port(p.PrivatePort)})
	}
	e.mu.Lock()
	e.pending = append(e.pending, pending{s, c})
	e.mu.Unlock()
}

// pending is a container filled from the list whose restart policy is
// still to be read.
type pending struct {
	s *snapshot
	c *portolan.Container
}

// resolve reads the restart policy of every container filled since the
// last call, each id once, up to 8 inspects at a time (an inspect is a
// few milliseconds of the engine's time: ls of 20 containers should not
// wait for 20 in a row).
func (e *Engines) resolve(ctx context.Context) {
	e.mu.Lock()
	todo := e.pending
	e.pending = nil
	ask := map[string]*snapshot{}
	for _, p := range todo {
		if _, ok := p.s.restart[p.c.ID]; !ok {
			ask[p.c.ID] = p.s
		}
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for id, s := range ask {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, _ := s.client.restartPolicy(ctx, id) // unknown is no policy
			e.mu.Lock()
			s.restart[id] = r
			e.mu.Unlock()
		}()
	}
	wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range todo {
		if r := p.s.restart[p.c.ID]; r != "" && r != "no" {
			p.c.Restart = r
		}
	}
}

// Annotate completes the holders of socks: each container's details from
// its engine, the container a docker-proxy forwards to (or dockerd holds a
// published port for, without the userland proxy), and, for a process
// in a container with a restart policy, the engine as its supervisor.
// Holders shared by several sockets are completed once.
func (e *Engines) Annotate(ctx context.Context, socks []portolan.Socket) {
	e.markHeld(ctx, socks)
	done := map[*portolan.Holder]int{}
	for i := range socks {
		ow := socks[i].Owner
		if ow == nil || ow.Holder == nil {
			continue
		}
		if _, ok := done[ow.Holder]; ok {
			continue
		}
		done[ow.Holder] = ow.PID
		e.fillHolder(ctx, ow.Holder)
	}
	e.resolve(ctx)
	for h, pid := range done {
		supervised(pid, h)
	}
}

// Complete is Annotate for one process's holder.
func (e *Engines) Complete(ctx context.Context, pid int, h *portolan.Holder) {
	e.fillHolder(ctx, h)
	e.resolve(ctx)
	supervised(pid, h)
}

// fillHolder fills a holder's container, or finds the one its forwarder
// forwards to; the restart policies come with resolve.
func (e *Engines) fillHolder(ctx context.Context, h *portolan.Holder) {
	if c := h.Container; c != nil {
		e.fillContainer(ctx, c)
	}
	if p := h.Published; p != nil && p.Container == nil {
		p.Container = e.forwardedTo(ctx, p)
	}
}

// supervised makes the engine the supervisor of a process in a container
// with a restart policy.
func supervised(pid int, h *portolan.Holder) {
	if c := h.Container; c != nil && c.Restart != "" && h.Supervisor == nil {
		h.Supervisor = &portolan.Supervisor{PID: shim(pid), Kind: c.Engine, Stop: c.Engine + " stop " + c.Label()}
	}
}

// forwardedTo finds the container a forwarder's published port belongs
// to: the one publishing the host port whose address is the target's.
func (e *Engines) forwardedTo(ctx context.Context, p *portolan.Published) *portolan.Container {
	host, err1 := netip.ParseAddrPort(p.Host)
	target, err2 := netip.ParseAddrPort(p.Target)
	if err1 != nil || err2 != nil {
		return nil
	}
	s := e.snap(ctx, "docker")
	var byPort *summary
	for i := range s.list {
		sum := &s.list[i]
		if !publishes(sum, p.Proto, host.Port(), target.Port()) {
			continue
		}
		if hasAddr(sum, target.Addr()) {
			return e.container(ctx, s, sum)
		}
		if byPort == nil {
			byPort = sum
		}
	}
	if byPort != nil {
		return e.container(ctx, s, byPort)
	}
	if s.why != "" {
		return &portolan.Container{Engine: "docker", NoEngine: s.why}
	}
	return nil
}

// Publishing returns the containers of engine that publish port p (proto
// TCP or UDP) on the host, with their details.
func (e *Engines) Publishing(ctx context.Context, engine string, proto portolan.Proto, p portolan.Port) []*portolan.Container {
	s := e.snap(ctx, engine)
	var out []*portolan.Container
	for i := range s.list {
		if publishes(&s.list[i], proto, uint16(p), 0) {
			c := e.container(ctx, s, &s.list[i])
			c.Engine = engine
			out = append(out, c)
		}
	}
	e.resolve(ctx)
	return out
}

// Stop stops c through its engine, as `docker stop` does, with grace
// before the engine's SIGKILL.
func (e *Engines) Stop(ctx context.Context, c *portolan.Container, grace time.Duration) error {
	s := e.snap(ctx, c.Engine)
	if s.client == nil {
		return fmt.Errorf("cannot stop container %s: %s", c.Label(), s.why)
	}
	return s.client.Stop(ctx, c.ID, grace)
}

func (e *Engines) container(ctx context.Context, s *snapshot, sum *summary) *portolan.Container {
	c := &portolan.Container{Engine: "docker", ID: sum.ID}
	e.fill(ctx, s, sum, c)
	return c
}

// publishes: sum publishes hostPort/proto (to containerPort, unless 0).
func publishes(sum *summary, proto portolan.Proto, hostPort, containerPort uint16) bool {
	for _, p := range sum.Ports {
		if p.PublicPort == hostPort && strings.EqualFold(p.Type, proto.String()) && (containerPort == 0 || p.PrivatePort == containerPort) {
			return true
		}
	}
	return false
}

func hasAddr(sum *summary, a netip.Addr) bool {
	for _, n := range sum.NetworkSettings.Networks {
		if n.IPAddress == a.String() || n.GlobalIPv6Address == a.String() {
			return true
		}
	}
	return false
}

// shim is the container's runtime shim above pid (containerd-shim,
// conmon): the process the engine supervises it through; 0 when not found.
func shim(pid int) int {
	for p, hops := pid, 0; p > 1 && hops < 64; hops++ {
		st, err := procfs.ReadStat(p)
		if err != nil {
			return 0
		}
		if strings.HasPrefix(st.Comm, "containerd-shim") || st.Comm == "conmon" {
			return p
		}
		p = st.PPID
	}
	return 0
}

// socket is e.SocketFor, or the package's SocketFor.
func (e *Engines) socket(engine string) (path, why string) {
	if e.SocketFor != nil {
		return e.SocketFor(engine)
	}
	return SocketFor(engine)
}

// address is a container's address on its first network, or "".
func (e *Engines) address(ctx context.Context, engine string, c *portolan.Container) string {
	s := e.snap(ctx, engine)
	for i := range s.list {
		if s.list[i].ID != c.ID {
			continue
		}
		for _, n := range s.list[i].NetworkSettings.Networks {
			if n.IPAddress != "" {
				return n.IPAddress
			}
		}
	}
	return ""
}

// hostPort joins a published port's host address ("" or 0.0.0.0: every
// address) and port.
func hostPort(ip string, p portolan.Port) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		a = netip.IPv4Unspecified()
	}
	return netip.AddrPortFrom(a, uint16(p)).String()
}

// netipJoin joins an address and a port ("10.213.0.2:8080", "[fd00::2]:80").
func netipJoin(addr string, p portolan.Port) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	return netip.AddrPortFrom(a, uint16(p)).String()
}
