package http

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
)

// WhyFunc explains whether a server can bind a port on the serving host
// (package why's Bind over this host's sources in the binary).
type WhyFunc func(ctx context.Context, p portolan.Port, proto portolan.Proto) (portolan.BindReport, error)

// getWhy answers GET /v1/why/{port}: the same document as `portolan why
// PORT --json`. {port} is PORT or PORT/tcp, PORT/udp (written as
// {port}?protocol=tcp too). Owners inside causes are redacted as the
// caller's role requires, like GET /v1/sockets.
func (s *Server) getWhy(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Why == nil {
		return portolan.Errorf(portolan.EUNSUPPORTED, "why is not offered by this server")
	}
	ps, protos, _ := strings.Cut(r.PathValue("port"), "/")
	if q := r.URL.Query().Get("protocol"); q != "" {
		protos = q
	}
	p, err := portolan.ParsePort(ps)
	if err != nil || p == 0 {
		return portolan.Errorf(portolan.EINVALID, "port %q: want 1-65535, optionally /tcp or /udp", short(r.PathValue("port")))
	}
	proto := portolan.ProtoAny
	switch strings.ToLower(protos) {
	case "":
	case "tcp":
		proto = portolan.TCP
	case "udp":
		proto = portolan.UDP
	default:
		return portolan.Errorf(portolan.EINVALID, "protocol %q: want tcp or udp", short(protos))
	}
	role := RoleOf(r.Context())
	if role != RoleAdmin {
		// The verdict is proved by binding the port for an instant: paced
		// for callers who are not admins, so that nobody who may read can
		// keep a port busy for the server that wants it.
		if err := whyPace.wait(r.Context()); err != nil {
			return err
		}
	}
	rep, err := s.cfg.Why(r.Context(), p, proto)
	if err != nil {
		return err
	}
	if role != RoleAdmin {
		// Another namespace's listeners name containers and processes
		// that GET /v1/sockets never shows: admins only.
		rep.Causes = slices.DeleteFunc(rep.Causes, func(c portolan.Cause) bool { return c.Code == portolan.CauseOtherNetNS })
	}
	for i := range rep.Causes {
		if len(rep.Causes[i].Sockets) > 0 {
			rep.Causes[i].Sockets = redactSockets(rep.Causes[i].Sockets, role)
		}
		if role != RoleAdmin && rep.Causes[i].Facts != nil {
			// The process name stays (GET /v1/sockets shows it); the
			// summary names the login, which only admins see.
			c := &rep.Causes[i]
			if c.Code == portolan.CauseListener {
				c.Summary = redactUser(c.Summary)
			}
		}
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// redactUser removes ", user NAME" that a listener cause's summary carries.
func redactUser(summary string) string {
	i := strings.Index(summary, ", user ")
	if i < 0 {
		return summary
	}
	j := strings.Index(summary[i:], ")")
	if j < 0 {
		return summary
	}
	return summary[:i] + summary[i+j:]
}

// whyPace lets one non-admin why through every whyInterval.
var whyPace = pacer{next: make(chan struct{}, 1)}

const whyInterval = 50 * time.Millisecond

type pacer struct{ next chan struct{} }

// wait takes the next slot, or fails with ETIMEOUT when ctx ends first.
func (p pacer) wait(ctx context.Context) error {
	select {
	case p.next <- struct{}{}:
		time.AfterFunc(whyInterval, func() { <-p.next })
		return nil
	case <-ctx.Done():
		return portolan.Errorf(portolan.ETIMEOUT, "the request ended while it waited its turn to try binds")
	}
}
