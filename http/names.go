package http

import (
	"net/http"

	"github.com/portolan-dev/portolan"
)

// NameBody is the body of PUT /v1/names: the key of a named port and how
// to pick its port the first time.
type NameBody struct {
	Project  string `json:"project" want:"the checkout's repository path"`
	Worktree string `json:"worktree" want:"the worktree's path"`
	Name     string `json:"name" want:"1-63 letters, digits and hyphens"`
	Prefer   int    `json:"prefer,omitempty" want:"a port 1-65535"`
	Proto    string `json:"protocol,omitempty" want:"one of tcp, udp, both"`
	Pool     string `json:"pool,omitempty" want:"user (default), dynamic or LO-HI"`
	Assigned bool   `json:"allow_assigned,omitempty"`
	Unsafe   bool   `json:"allow_unsafe,omitempty"`
}

func (NameBody) example() string {
	return `{"project":"/src/shop","worktree":"/src/shop-feat","name":"web","prefer":3000}`
}

// NameAnswer is a named port in the API: the key, the port, and whether
// this call picked it.
type NameAnswer struct {
	portolan.NamedPort
	Protocol string `json:"protocol"` // tcp, udp or both
	New      bool   `json:"new"`
}

func nameAnswer(np portolan.NamedPort, created bool) NameAnswer {
	p := np.Proto.String()
	if np.Proto == portolan.ProtoAny {
		p = "both"
	}
	return NameAnswer{np, p, created}
}

func (s *Server) names() (portolan.NameService, error) {
	if s.cfg.Names == nil {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "this server keeps no named ports")
	}
	return s.cfg.Names, nil
}

// getNames answers GET /v1/names: this host's named ports.
func (s *Server) getNames(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.names()
	if err != nil {
		return err
	}
	nps, err := svc.NamedPorts(r.Context())
	if err != nil {
		return err
	}
	out := make([]NameAnswer, len(nps))
	for i, np := range nps {
		out[i] = nameAnswer(np, false)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// putName answers PUT /v1/names: the port of the key, picked and stored on
// the first call (201), the stored one after (200); PUT because asking
// again changes nothing.
func (s *Server) putName(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.names()
	if err != nil {
		return err
	}
	var b NameBody
	if err := decodeBody(w, r, s.cfg.MaxBody, &b); err != nil {
		return err
	}
	if err := portolan.CheckName(b.Name); err != nil {
		return err
	}
	if b.Project == "" || b.Worktree == "" || len(b.Project) > 4096 || len(b.Worktree) > 4096 {
		return portolan.Errorf(portolan.EINVALID, "project and worktree must be paths of 1-4096 bytes")
	}
	if err := portolan.CheckText("project", b.Project, 4096); err != nil {
		return err
	}
	if err := portolan.CheckText("worktree", b.Worktree, 4096); err != nil {
		return err
	}
	if b.Prefer < 0 || b.Prefer > portolan.MaxPort {
		return portolan.Errorf(portolan.EINVALID, "prefer %d is out of range: want a port 1-65535", b.Prefer)
	}
	req := portolan.NameRequest{Key: portolan.NameKey{Project: b.Project, Worktree: b.Worktree, Name: b.Name},
		Prefer: portolan.Port(b.Prefer), Pool: b.Pool, Assigned: b.Assigned, Unsafe: b.Unsafe}
	if b.Proto != "" && b.Proto != "both" {
		p, err := portolan.ParseProto(b.Proto)
		if err != nil || (p != portolan.TCP && p != portolan.UDP) {
			return portolan.Errorf(portolan.EINVALID, "protocol %s is not one of tcp, udp, both", quote(b.Proto))
		}
		req.Proto = p
	}
	np, created, err := svc.PortFor(r.Context(), req)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, nameAnswer(np, created))
	return nil
}

// deleteName answers DELETE /v1/names?project=&worktree=&name=.
func (s *Server) deleteName(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.names()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	key := portolan.NameKey{Project: q.Get("project"), Worktree: q.Get("worktree"), Name: q.Get("name")}
	if err := portolan.CheckName(key.Name); err != nil {
		return err
	}
	if key.Project == "" || key.Worktree == "" {
		return portolan.Errorf(portolan.EINVALID, "DELETE /v1/names needs ?project=, &worktree= and &name=")
	}
	if err := svc.Forget(r.Context(), key); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
