package http

import (
	"net/http"

	"github.com/portolan-dev/portolan"
)

// listSockets answers GET /v1/sockets: this host's listening sockets, from
// a fresh scan that concurrent callers share (sharedScan), shown as the
// caller's role may see them (redactSockets).
func (s *Server) listSockets(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Sockets == nil {
		return portolan.Errorf(portolan.EUNSUPPORTED, "this server does not list its host's sockets")
	}
	socks, err := s.cfg.Sockets(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, redactSockets(listening(socks), RoleOf(r.Context())))
	return nil
}
