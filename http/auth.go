package http

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/secretfile"
)

// Role is what a bearer token may do.
type Role uint8

// Token roles: read-only tokens read from anywhere the server listens;
// admin tokens also write (leases, assignments); agent tokens only report
// one host's listeners (the host their first report named), and read
// nothing: a host that is taken over learns nothing of the fleet.
const (
	RoleRead Role = iota + 1
	RoleAdmin
	RoleAgent
)

// access is what a route needs of its caller.
type access uint8

const (
	accessRead   access = iota // anonymous from this host, any read or admin token
	accessWrite                // an admin token
	accessReport               // an agent or admin token
)

// String returns "read" or "admin".
func (r Role) String() string {
	switch r {
	case RoleRead:
		return "read"
	case RoleAdmin:
		return "admin"
	case RoleAgent:
		return "agent"
	}
	return "none"
}

// ParseRole parses "read", "admin" or "agent".
func ParseRole(s string) (Role, error) {
	switch s {
	case "read", "read-only", "readonly":
		return RoleRead, nil
	case "admin":
		return RoleAdmin, nil
	case "agent":
		return RoleAgent, nil
	}
	return 0, portolan.Errorf(portolan.EINVALID, "token role %q is not one of read, admin, agent", s)
}

type tokenInfo struct {
	name string
	role Role
}

// Tokens is the set of bearer tokens a server accepts. Only SHA-256 hashes
// are kept, and lookups go by hash, so comparing a guess leaks no timing
// about a real token.
type Tokens struct {
	mu sync.RWMutex
	m  map[[32]byte]tokenInfo
}

// NewTokens returns an empty set: every write is refused.
func NewTokens() *Tokens { return &Tokens{m: map[[32]byte]tokenInfo{}} }

// Add accepts secret with the given role; name identifies it in the audit log.
func (t *Tokens) Add(secret, name string, role Role) error {
	if len(secret) < 16 {
		return portolan.Errorf(portolan.EINVALID, "token %q is too short: want at least 16 characters", name)
	}
	t.mu.Lock()
	t.m[sha256.Sum256([]byte(secret))] = tokenInfo{name, role}
	t.mu.Unlock()
	return nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

func (t *Tokens) lookup(secret string) (tokenInfo, bool) {
	h := sha256.Sum256([]byte(secret))
	t.mu.RLock()
	ti, ok := t.m[h]
	t.mu.RUnlock()
	return ti, ok
}

// NewSecret returns a random token: 32 bytes of crypto/rand in hex.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// LoadTokenFile adds the tokens of a file with one token a line, either
// "SECRET" (an admin token) or "ROLE SECRET [NAME]"; blank lines and lines
// starting with # are skipped. The default name is the file's base name
// and the line number.
//
// The file is read with secretfile's checks: a regular file of at most
// 64 KiB, owned by this user or root, with no access for group or others.
func (t *Tokens) LoadTokenFile(path string) error {
	b, err := secretfile.Read(path, "token file")
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, secretfile.MaxSize)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		role, secret, name := RoleAdmin, fields[0], ""
		if len(fields) > 1 {
			r, err := ParseRole(fields[0])
			if err != nil {
				return portolan.Errorf(portolan.EINVALID, "token file %s line %d: %s", path, n, portolan.ErrorMessage(err))
			}
			role, secret = r, fields[1]
			if len(fields) > 2 {
				name = fields[2]
			}
		}
		if name == "" {
			name = role.String()
		}
		if err := t.Add(secret, name, role); err != nil {
			return portolan.Errorf(portolan.EINVALID, "token file %s line %d: %s", path, n, portolan.ErrorMessage(err))
		}
	}
	return sc.Err()
}

// EnsureTokenFile returns the admin token in path, creating the file with a
// new random token and mode 0600 when it does not exist. An existing file
// must pass secretfile's checks.
func EnsureTokenFile(path string) (string, error) {
	if b, err := secretfile.Read(path, "token file"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 1 && !strings.HasPrefix(f[0], "#") {
				return f[0], nil
			} else if len(f) >= 2 && f[0] == "admin" {
				return f[1], nil
			}
		}
		return "", nil
	} else if !secretfile.IsNotExist(err) {
		return "", err
	}
	secret := NewSecret()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) { // another server created it first
			return EnsureTokenFile(path)
		}
		if os.IsNotExist(err) {
			return "", portolan.Errorf(portolan.EINVALID, "token file %s does not exist and cannot be created: want a path in an existing directory", path)
		}
		return "", err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return "", err
	}
	return secret, f.Close()
}

type ctxKey struct{}

// caller is who made a request, as far as the server knows.
type caller struct {
	token tokenInfo // zero when no token was given
	user  string    // X-Portolan-User, informational
}

// actor names the caller in the audit log: "alice (token ci)".
func (c caller) actor() string {
	switch {
	case c.user != "" && c.token.name != "":
		return c.user + " (token " + c.token.name + ")"
	case c.token.name != "":
		return "token " + c.token.name
	}
	return c.user
}

func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(ctxKey{}).(caller)
	return c
}

// authorize checks the request's token against what the route needs:
// reads are open from this host (loopback or its own addresses), from
// anywhere with PublicReads, and need any token otherwise; writes need an
// admin token. It returns the request with its caller attached.
func (s *Server) authorize(r *http.Request, need access) (*http.Request, error) {
	var c caller
	if h := r.Header.Get("Authorization"); h != "" {
		secret, err := bearer(h)
		if err != nil {
			return r, err
		}
		ti, ok := s.tokens.lookup(secret)
		if !ok {
			return r, portolan.Errorf(portolan.EUNAUTHORIZED, "the bearer token is not valid for this server")
		}
		c.token = ti
	}
	write := need == accessWrite
	switch {
	case need == accessReport && c.token.role != RoleAgent && c.token.role != RoleAdmin:
		return r, portolan.Errorf(portolan.EUNAUTHORIZED, "%s %s needs an agent or admin bearer token", r.Method, r.URL.Path)
	case need != accessReport && c.token.role == RoleAgent:
		return r, portolan.Errorf(portolan.EFORBIDDEN, "token %s is an agent token: it may only report its host's listeners", c.token.name)
	case need == accessReport:
	case write && c.token.role == 0:
		return r, portolan.Errorf(portolan.EUNAUTHORIZED, "%s %s changes state and needs an admin bearer token", r.Method, r.URL.Path)
	case write && c.token.role != RoleAdmin:
		return r, portolan.Errorf(portolan.EFORBIDDEN, "token %s is read-only: %s %s needs an admin token", c.token.name, r.Method, r.URL.Path)
	case !write && c.token.role == 0 && s.cfg.PublicReads:
		// --public-reads: anyone who reaches the server reads, by any
		// name (a DNS-rebinding page learns nothing the network could
		// not read anyway).
	case !write && c.token.role == 0 && !s.fromLocal(r):
		return r, portolan.Errorf(portolan.EUNAUTHORIZED, "reads from outside this host need a bearer token (or a server started with --public-reads)")
	case !write && c.token.role == 0 && !literalHost(r.Host):
		// DNS rebinding: a web page on evil.example resolving to 127.0.0.1
		// would otherwise read this host's sockets through the browser.
		return r, portolan.Errorf(portolan.EUNAUTHORIZED, "reads without a token must address the server by IP or localhost, not %s", quote(r.Host))
	}
	if c.token.role == 0 {
		return r, nil // anonymous loopback read: keep the request as it is (no allocation)
	}
	if u := r.Header.Get("X-Portolan-User"); u != "" && len(u) <= 64 {
		c.user = u
	}
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)), nil
}

// bearer returns the token of an Authorization header. The scheme is
// case-insensitive (RFC 9110), so "bearer TOKEN" works as well.
func bearer(h string) (string, error) {
	const want = `want "Authorization: Bearer TOKEN"`
	scheme, secret, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", portolan.Errorf(portolan.EUNAUTHORIZED, "authorization header is not a bearer token: %s", want)
	}
	if secret = strings.TrimSpace(secret); secret == "" {
		return "", portolan.Errorf(portolan.EUNAUTHORIZED, "authorization header has no token after Bearer: %s", want)
	}
	return secret, nil
}

// literalHost reports whether a Host header names the server by an IP
// address or "localhost" (with or without a port): names a browser could
// be tricked into resolving to loopback are refused for anonymous reads.
func literalHost(host string) bool {
	if host == "" {
		return true // HTTP/1.0 without Host: not a browser
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}
