package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

// Client talks to a portolan server. It implements portolan.LeaseService
// and portolan.AssignmentService, so the CLI's lease and assignment
// commands work the same against a remote server as against a local store.
type Client struct {
	base  string
	token string
	// User is sent as X-Portolan-User and shows in the server's audit log
	// next to the token's name.
	User string
	HTTP *http.Client
}

var (
	_ portolan.LeaseService      = (*Client)(nil)
	_ portolan.AssignmentService = (*Client)(nil)
)

// NewClient returns a client for the server at baseURL (e.g.
// http://127.0.0.1:7780) that sends token, when not empty, as a bearer token.
func NewClient(baseURL, token string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// BaseURL returns the server's address.
func (c *Client) BaseURL() string { return c.base }

// do sends a request and decodes a JSON answer into out (unless nil). An
// error answer becomes the *portolan.Error the server reported.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return portolan.Errorf(portolan.EINVALID, "server address %q is not a URL: want http://HOST:PORT", c.base)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.User != "" {
		req.Header.Set("X-Portolan-User", c.User)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return portolan.Errorf(portolan.ETIMEOUT, "server %s did not answer %s %s in time", c.base, method, path)
		}
		var pe *portolan.Error
		if errors.As(err, &pe) {
			return pe // the transport's own refusal (a check of the connection) says what it is
		}
		return portolan.Errorf(portolan.EINTERNAL, "server %s: %s", c.base, oneLine(err.Error()))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return portolan.Errorf(portolan.EINTERNAL, "server %s: reading the answer: %v", c.base, err)
	}
	if resp.StatusCode >= 400 {
		return decodeError(resp.StatusCode, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return portolan.Errorf(portolan.EINTERNAL, "server %s answered %s %s with JSON this client cannot read: %v", c.base, method, path, err)
	}
	return nil
}

// RemoteError is an error answer of the server with the conflicts of a
// refused assignment, if any. Its code and message are the server's.
type RemoteError struct {
	Err       *portolan.Error
	Status    int
	Conflicts []portolan.Conflict
}

func (e *RemoteError) Error() string { return e.Err.Message }

// Unwrap lets portolan.ErrorCode and errors.As see the server's code.
func (e *RemoteError) Unwrap() error { return e.Err }

func decodeError(status int, data []byte) error {
	var eb ErrorBody
	if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return &RemoteError{portolan.Errorf(domainCode(codeOf(status)), "server answered %d %s: %s", status, http.StatusText(status), msg), status, nil}
	}
	return &RemoteError{&portolan.Error{Code: domainCode(eb.Error.Code), Message: eb.Error.Message}, status, eb.Conflicts}
}

// Grant leases ports on the server.
func (c *Client) Grant(ctx context.Context, req portolan.LeaseRequest) ([]portolan.Lease, error) {
	body := LeaseBody{Pool: req.Pool, TTL: Duration(req.TTL), PID: req.PID, Label: req.Label,
		Assigned: req.Assigned, Unsafe: req.Unsafe, Proto: req.Proto.String()}
	if req.Count != 0 { // 0 is the domain's "one"; the server refuses an explicit 0
		body.Count = &req.Count
	}
	if req.Proto == portolan.ProtoAny {
		body.Proto = "both"
	}
	var ls []portolan.Lease
	err := c.do(ctx, http.MethodPost, "/v1/leases", body, &ls)
	return ls, err
}

// Release ends the lease on port.
func (c *Client) Release(ctx context.Context, port portolan.Port) error {
	return c.do(ctx, http.MethodDelete, "/v1/leases/"+port.String(), nil, nil)
}

// Leases lists the server's live leases.
func (c *Client) Leases(ctx context.Context) ([]portolan.Lease, error) {
	var ls []portolan.Lease
	err := c.do(ctx, http.MethodGet, "/v1/leases", nil, &ls)
	return ls, err
}

// Assign registers a on the server, which checks the conflicts; the
// stored assignment (ID, Created, CreatedBy) is copied back into a.
func (c *Client) Assign(ctx context.Context, a *portolan.Assignment, force bool) ([]portolan.Conflict, error) {
	p := a.Port
	body := AssignBody{Port: &p, Proto: a.Proto, Name: a.Name, Owner: a.Owner, Note: a.Note, Hosts: a.Hosts, Scope: a.Scope, Force: force}
	var res AssignResult
	if err := c.do(ctx, http.MethodPost, "/v1/assignments", body, &res); err != nil {
		var re *RemoteError
		if errors.As(err, &re) {
			return re.Conflicts, err
		}
		return nil, err
	}
	*a = res.Assignment
	return res.Conflicts, nil
}

// Assignments lists the server's assignments matching f.
func (c *Client) Assignments(ctx context.Context, f portolan.AssignmentFilter) ([]portolan.Assignment, error) {
	q := url.Values{}
	if f.Port != nil {
		q.Set("port", f.Port.String())
	}
	if f.Proto != portolan.ProtoAny {
		q.Set("protocol", f.Proto.String())
	}
	if f.Owner != "" {
		q.Set("owner", f.Owner)
	}
	if f.Name != "" {
		q.Set("name", f.Name)
	}
	path := "/v1/assignments"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var as []portolan.Assignment
	err := c.do(ctx, http.MethodGet, path, nil, &as)
	return as, err
}

// Unassign removes the assignment of port/proto on the server. The server
// records the caller from the token (and User), not from actor.
func (c *Client) Unassign(ctx context.Context, port portolan.Port, proto portolan.Proto, actor string) error {
	if proto == portolan.ProtoAny {
		return portolan.Errorf(portolan.EINVALID, "unassign of port %d needs a protocol: want PORT/PROTO, e.g. %d/tcp", port, port)
	}
	return c.do(ctx, http.MethodDelete, fmt.Sprintf("/v1/assignments/%d/%s", port, proto), nil, nil)
}

// Audit returns the newest limit audit entries.
func (c *Client) Audit(ctx context.Context, limit int) ([]portolan.AuditEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	var es []portolan.AuditEntry
	err := c.do(ctx, http.MethodGet, "/v1/audit?limit="+strconv.Itoa(limit), nil, &es)
	return es, err
}

// Port asks the server everything about a query ("443", "53/udp", "https").
func (c *Client) Port(ctx context.Context, query string) (*PortInfo, error) {
	var info PortInfo
	err := c.do(ctx, http.MethodGet, "/v1/ports/"+url.PathEscape(query), nil, &info)
	return &info, err
}

// Health checks the server's /healthz.
func (c *Client) Health(ctx context.Context) error {
	var h Health
	return c.do(ctx, http.MethodGet, "/healthz", nil, &h)
}
