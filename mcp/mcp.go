// Package mcp serves portolan to coding agents over the Model Context
// Protocol, with the official Go SDK: one more interface over the same
// library calls as the CLI and the HTTP API, returning the same JSON shapes
// as --json. The calls are functions the caller wires (internal/cli/mcp),
// so this package imports the domain and the SDK only.
package mcp

import (
	"context"
	"errors"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/portolan-dev/portolan"
)

// Tools are the library calls behind the MCP tools. A nil call leaves its
// tool out.
type Tools struct {
	// Lookup answers a query as `portolan QUERY --json` does.
	Lookup func(ctx context.Context, q string) ([]*portolan.Answer, error)
	// Sockets lists this host's sockets (every state with all).
	Sockets func(ctx context.Context, all bool, port portolan.Port) ([]portolan.Socket, error)
	// Owners lists the listeners on a port with their processes.
	Owners func(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error)
	// Leases grants and releases leases (free, lease, release).
	Leases portolan.LeaseService
	// Names hands out named ports; Key resolves a checkout directory.
	Names portolan.NameService
	Key   func(dir, name string) (portolan.NameKey, error)
	// Wait waits until addr (HOST:PORT) accepts connections, or ctx ends.
	Wait func(ctx context.Context, addr string) error
	// Why explains why a port will not bind here (PORT[/PROTO]) or a
	// client cannot connect (HOST:PORT): a BindReport or a ConnectReport,
	// the documents of `portolan why --json`.
	Why func(ctx context.Context, target string) (any, error)
	// Kill stops the listeners of a port (see KillResult); dry-run unless
	// confirm.
	Kill func(ctx context.Context, p portolan.Port, proto portolan.Proto, confirm bool) (KillResult, error)
}

// KillResult is what the kill tool did or would do.
type KillResult struct {
	Port      portolan.Port `json:"port"`
	DryRun    bool          `json:"dry_run"`
	Signalled []Victim      `json:"signalled"` // with dry_run: would be signalled
	Refused   []Victim      `json:"refused"`
}

// Victim is a process holding the port.
type Victim struct {
	PID    int    `json:"pid"`
	Name   string `json:"name"`
	User   string `json:"user,omitempty"`
	Reason string `json:"reason,omitempty"` // why it was refused
}

// NewServer returns an MCP server with portolan's tools.
func NewServer(version string, t Tools) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "portolan", Version: version}, &mcp.ServerOptions{
		Instructions: "portolan is the port authority of this host: look up any port or service name (IANA and common uses), " +
			"see who holds a port, get free ports that really bind, stable named ports per checkout (port/ports/env), wait for a port, " +
			"and stop a port's holder (kill is a dry run unless confirm is true).",
	})
	if t.Lookup != nil {
		add(s, &mcp.Tool{Name: "lookup", Description: "Everything about a port, a range, a comma list or a service name: RFC 6335 class, IANA records, common uses, this host's ranges, who listens here, leases, assignments, traps. Same document as `portolan QUERY --json`."}, t.lookup)
	}
	if t.Sockets != nil {
		add(s, &mcp.Tool{Name: "ls", Description: "This host's listening sockets (every state with all=true), with the processes that hold them."}, t.ls)
	}
	if t.Owners != nil {
		add(s, &mcp.Tool{Name: "owner", Description: "Who listens on a port here: the listening sockets on exactly that port, TCP and UDP, with their processes."}, t.owner)
	}
	if t.Leases != nil {
		add(s, &mcp.Tool{Name: "free", Description: "Free ports that really bind (IPv4 and IPv6, outside the ephemeral range, not IANA-assigned, nobody's lease), held for 30 s so no other caller gets them."}, t.free)
		add(s, &mcp.Tool{Name: "lease", Description: "Lease free ports until a TTL passes, the owner pid exits, or release."}, t.lease)
		add(s, &mcp.Tool{Name: "release", Description: "End the lease on a port."}, t.release)
	}
	if t.Names != nil && t.Key != nil {
		add(s, &mcp.Tool{Name: "port", Description: "The stable port of a service name in a checkout (directory): the same on every call, per git worktree; picked on the first call."}, t.port)
		add(s, &mcp.Tool{Name: "ports", Description: "The named ports of a checkout (directory)."}, t.ports)
		add(s, &mcp.Tool{Name: "env", Description: "A checkout's named ports as environment variables (PORT_WEB=41234)."}, t.env)
	}
	if t.Wait != nil {
		add(s, &mcp.Tool{Name: "wait", Description: "Wait until HOST:PORT accepts connections, at most timeout_ms (default 10000, at most 300000)."}, t.wait)
	}
	if t.Why != nil {
		add(s, &mcp.Tool{Name: "why", Description: "Why a port will not bind here (target PORT or PORT/udp: each cause with its fix, proved by trying the binds), or why a client cannot connect (target HOST:PORT: the localhost IPv4/IPv6 split, loopback-only listeners, refused vs dropped). Same document as `portolan why --json`."}, t.why)
	}
	if t.Kill != nil {
		add(s, &mcp.Tool{Name: "kill", Description: "Stop the processes listening on a port. A dry run that only says who would be signalled, unless confirm is true. Never signals pid 1, this server's parent chain (the agent), or another user's process."}, t.kill)
	}
	return s
}

// outputSchema is every tool's output schema: an object, documented by
// the --json schemas in docs/. The SDK would infer one from the Go types,
// but not from their JSON methods (a Port is a number, a Range "LO-HI", a
// Class its name), and would then refuse the tools' own answers.
var outputSchema = map[string]any{"type": "object"}

// add adds a typed tool with the object output schema.
func add[In, Out any](s *mcp.Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) {
	t.OutputSchema = outputSchema
	mcp.AddTool(s, t, h)
}

// Serve runs s over stdio until the client closes it or ctx ends.
func Serve(ctx context.Context, s *mcp.Server) error {
	err := s.Run(ctx, &mcp.StdioTransport{})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

type queryIn struct {
	Query string `json:"query" jsonschema:"a port (443), a range (6000-6010), a port and protocol (53/udp), a comma list (80,443) or a service name (postgres)"`
}

type answersOut struct {
	Answers []*portolan.Answer `json:"answers"`
}

func (t Tools) lookup(ctx context.Context, _ *mcp.CallToolRequest, in queryIn) (*mcp.CallToolResult, answersOut, error) {
	as, err := t.Lookup(ctx, in.Query)
	return nil, answersOut{as}, err
}

type lsIn struct {
	All  bool `json:"all,omitempty" jsonschema:"every state, not only listeners"`
	Port int  `json:"port,omitempty" jsonschema:"only this local port (0: all)"`
}

type socketsOut struct {
	Sockets []portolan.Socket `json:"sockets"`
}

func (t Tools) ls(ctx context.Context, _ *mcp.CallToolRequest, in lsIn) (*mcp.CallToolResult, socketsOut, error) {
	p, err := port(in.Port, true)
	if err != nil {
		return nil, socketsOut{}, err
	}
	socks, err := t.Sockets(ctx, in.All, p)
	return nil, socketsOut{nonNil(socks)}, err
}

type portIn struct {
	Port     int    `json:"port" jsonschema:"a port 1-65535"`
	Protocol string `json:"protocol,omitempty" jsonschema:"tcp, udp or both (default)"`
}

// parse checks a port 1-65535 and a protocol.
func (in portIn) parse() (portolan.Port, portolan.Proto, error) {
	p, err := port(in.Port, false)
	if err != nil {
		return 0, 0, err
	}
	proto, err := protocol(in.Protocol)
	return p, proto, err
}

func (t Tools) owner(ctx context.Context, _ *mcp.CallToolRequest, in portIn) (*mcp.CallToolResult, socketsOut, error) {
	p, proto, err := in.parse()
	if err != nil {
		return nil, socketsOut{}, err
	}
	socks, err := t.Owners(ctx, p, proto)
	return nil, socketsOut{nonNil(socks)}, err
}

type freeIn struct {
	Count    int    `json:"count,omitempty" jsonschema:"how many distinct ports, 1-64 (default 1)"`
	Protocol string `json:"protocol,omitempty" jsonschema:"tcp, udp or both (default)"`
	Pool     string `json:"pool,omitempty" jsonschema:"user (default), dynamic or LO-HI"`
}

type leasesOut struct {
	Leases []portolan.Lease `json:"leases"`
}

func (t Tools) free(ctx context.Context, _ *mcp.CallToolRequest, in freeIn) (*mcp.CallToolResult, leasesOut, error) {
	req, err := leaseRequest(in.Count, in.Protocol, in.Pool)
	if err != nil {
		return nil, leasesOut{}, err
	}
	req.TTL, req.Label = 30*time.Second, "mcp free"
	ls, err := t.Leases.Grant(ctx, req)
	return nil, leasesOut{nonNil(ls)}, err
}

type leaseIn struct {
	freeIn
	TTLSeconds int    `json:"ttl_seconds,omitempty" jsonschema:"end the lease after this many seconds (0: until released or the owner exits)"`
	PID        int    `json:"pid,omitempty" jsonschema:"owner process: the lease ends when it exits"`
	Label      string `json:"label,omitempty" jsonschema:"free text shown in listings"`
}

func (t Tools) lease(ctx context.Context, _ *mcp.CallToolRequest, in leaseIn) (*mcp.CallToolResult, leasesOut, error) {
	req, err := leaseRequest(in.Count, in.Protocol, in.Pool)
	if err != nil {
		return nil, leasesOut{}, err
	}
	if in.TTLSeconds < 0 || in.PID < 0 {
		return nil, leasesOut{}, portolan.Errorf(portolan.EINVALID, "ttl_seconds and pid must not be negative")
	}
	if in.TTLSeconds == 0 && in.PID == 0 {
		return nil, leasesOut{}, portolan.Errorf(portolan.EINVALID, "a lease needs ttl_seconds or an owner pid: want e.g. {\"ttl_seconds\":600}")
	}
	req.TTL, req.PID, req.Label = time.Duration(in.TTLSeconds)*time.Second, in.PID, in.Label
	ls, err := t.Leases.Grant(ctx, req)
	return nil, leasesOut{nonNil(ls)}, err
}

type releaseOut struct {
	Released portolan.Port `json:"released"`
}

func (t Tools) release(ctx context.Context, _ *mcp.CallToolRequest, in portIn) (*mcp.CallToolResult, releaseOut, error) {
	p, err := port(in.Port, false)
	if err != nil {
		return nil, releaseOut{}, err
	}
	return nil, releaseOut{p}, t.Leases.Release(ctx, p)
}

type nameIn struct {
	Dir    string `json:"dir" jsonschema:"the checkout's directory (absolute)"`
	Name   string `json:"name" jsonschema:"the service name: 1-63 letters, digits and hyphens"`
	Prefer int    `json:"prefer,omitempty" jsonschema:"take this port when it qualifies, else one near it"`
}

type namedOut struct {
	portolan.NamedPort
	New bool `json:"new"`
}

func (t Tools) port(ctx context.Context, _ *mcp.CallToolRequest, in nameIn) (*mcp.CallToolResult, namedOut, error) {
	key, err := t.Key(in.Dir, in.Name)
	if err != nil {
		return nil, namedOut{}, err
	}
	if in.Prefer < 0 || in.Prefer > portolan.MaxPort {
		return nil, namedOut{}, portolan.Errorf(portolan.EINVALID, "prefer %d is out of range: want 1-65535", in.Prefer)
	}
	np, created, err := t.Names.PortFor(ctx, portolan.NameRequest{Key: key, Prefer: portolan.Port(in.Prefer)})
	return nil, namedOut{np, created}, err
}

type dirIn struct {
	Dir string `json:"dir" jsonschema:"the checkout's directory (absolute)"`
}

type namedListOut struct {
	Ports []portolan.NamedPort `json:"ports"`
}

func (t Tools) checkoutPorts(ctx context.Context, dir string) ([]portolan.NamedPort, error) {
	key, err := t.Key(dir, "")
	if err != nil {
		return nil, err
	}
	all, err := t.Names.NamedPorts(ctx)
	if err != nil {
		return nil, err
	}
	out := []portolan.NamedPort{}
	for _, np := range all {
		if np.Worktree == key.Worktree {
			out = append(out, np)
		}
	}
	return out, nil
}

func (t Tools) ports(ctx context.Context, _ *mcp.CallToolRequest, in dirIn) (*mcp.CallToolResult, namedListOut, error) {
	nps, err := t.checkoutPorts(ctx, in.Dir)
	return nil, namedListOut{nps}, err
}

type envOut struct {
	Env map[string]int `json:"env"`
}

func (t Tools) env(ctx context.Context, _ *mcp.CallToolRequest, in dirIn) (*mcp.CallToolResult, envOut, error) {
	nps, err := t.checkoutPorts(ctx, in.Dir)
	out := envOut{map[string]int{}}
	for _, np := range nps {
		out.Env[portolan.EnvName("PORT_", np.Name)] = int(np.Port)
	}
	return nil, out, err
}

type waitIn struct {
	Address   string `json:"address" jsonschema:"HOST:PORT, e.g. localhost:5432"`
	TimeoutMS int    `json:"timeout_ms,omitempty" jsonschema:"give up after this many milliseconds (default 10000, at most 300000)"`
}

type waitOut struct {
	Address string `json:"address"`
	Open    bool   `json:"open"`
	AfterMS int64  `json:"after_ms"`
}

func (t Tools) wait(ctx context.Context, _ *mcp.CallToolRequest, in waitIn) (*mcp.CallToolResult, waitOut, error) {
	d := time.Duration(in.TimeoutMS) * time.Millisecond
	switch {
	case in.TimeoutMS == 0:
		d = 10 * time.Second
	case in.TimeoutMS < 0 || d > 5*time.Minute:
		return nil, waitOut{}, portolan.Errorf(portolan.EINVALID, "timeout_ms %d is out of range: want 1-300000", in.TimeoutMS)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	err := t.Wait(ctx, in.Address)
	out := waitOut{Address: in.Address, Open: err == nil, AfterMS: time.Since(start).Milliseconds()}
	if portolan.ErrorCode(err) == portolan.ETIMEOUT {
		err = nil // not open in time is an answer, not a failure
	}
	return nil, out, err
}

type whyIn struct {
	Target string `json:"target" jsonschema:"PORT, PORT/tcp, PORT/udp, or HOST:PORT (e.g. localhost:5173)"`
}

type whyOut struct {
	Report any `json:"report"`
}

func (t Tools) why(ctx context.Context, _ *mcp.CallToolRequest, in whyIn) (*mcp.CallToolResult, whyOut, error) {
	r, err := t.Why(ctx, in.Target)
	return nil, whyOut{r}, err
}

type killIn struct {
	portIn
	Confirm bool `json:"confirm,omitempty" jsonschema:"really send the signal; without it the call is a dry run"`
}

func (t Tools) kill(ctx context.Context, _ *mcp.CallToolRequest, in killIn) (*mcp.CallToolResult, KillResult, error) {
	p, proto, err := in.parse()
	if err != nil {
		return nil, KillResult{}, err
	}
	r, err := t.Kill(ctx, p, proto, in.Confirm)
	return nil, r, err
}

func port(n int, zeroOK bool) (portolan.Port, error) {
	if n < 0 || n > portolan.MaxPort || n == 0 && !zeroOK {
		return 0, portolan.Errorf(portolan.EINVALID, "port %d is out of range: want 1-65535", n)
	}
	return portolan.Port(n), nil
}

func protocol(s string) (portolan.Proto, error) {
	switch s {
	case "", "both", "any":
		return portolan.ProtoAny, nil
	case "tcp":
		return portolan.TCP, nil
	case "udp":
		return portolan.UDP, nil
	}
	return 0, portolan.Errorf(portolan.EINVALID, "protocol %q is not one of tcp, udp, both", s)
}

func leaseRequest(count int, proto, pool string) (portolan.LeaseRequest, error) {
	if count == 0 {
		count = 1
	}
	if count < 1 || count > 64 {
		return portolan.LeaseRequest{}, portolan.Errorf(portolan.EINVALID, "count %d is out of range: want 1-64", count)
	}
	p, err := protocol(proto)
	return portolan.LeaseRequest{Count: count, Proto: p, Pool: pool}, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
