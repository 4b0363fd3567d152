package kill

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/sockets"
)

// Result is kill's --json document: who was signalled (or would be, with
// --dry-run) and what became of each port.
type Result struct {
	DryRun    bool        `json:"dry_run,omitempty"`
	Signalled []Signalled `json:"signalled"`
	// Containers are the containers stopped through their engine
	// (kill --container), or, with --dry-run, to be stopped.
	Containers []Container  `json:"containers,omitempty"`
	Ports      []PortResult `json:"ports"`
}

// Signalled is one signal sent (or, with --dry-run, one that would be).
type Signalled struct {
	PID     int      `json:"pid"`
	Process string   `json:"process"`
	User    string   `json:"user,omitempty"`
	Signal  string   `json:"signal"`
	Sockets []string `json:"sockets"` // "tcp 127.0.0.1:8080"
	Cmdline []string `json:"cmdline,omitempty"`
}

// PortResult is what became of one PORT argument. State is "free" (no
// socket uses the port any more), "closing" (nothing listens, but the
// sockets in Remaining still use the port: a bind without SO_REUSEADDR
// fails until they are gone), "held" (still listened on after the
// timeout), "not_listening" (nothing listened to begin with), "refused"
// (a holder portolan will not or cannot signal) or "planned" (--dry-run).
type PortResult struct {
	Port      string      `json:"port"`
	State     string      `json:"state"`
	AfterMS   int64       `json:"after_ms,omitempty"`
	Remaining []Remaining `json:"remaining,omitempty"`
	Error     string      `json:"error,omitempty"`
}

// Remaining is a socket that still has the port as its local port after
// the listeners are gone.
type Remaining struct {
	Proto   portolan.Proto       `json:"protocol"`
	Local   string               `json:"local"`
	Remote  string               `json:"remote,omitempty"`
	State   portolan.SocketState `json:"state"`
	PID     int                  `json:"pid,omitempty"`
	Process string               `json:"process,omitempty"`
}

// remaining is the default Options.Remaining: every socket, in any state,
// whose local port is p, with its holder.
func remaining(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	f := sockets.Filter{Port: p, All: true, WithOwners: true}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	return sockets.List(ctx, f)
}

func (r *Result) port(t target) *PortResult {
	for i := range r.Ports {
		if r.Ports[i].Port == t.String() {
			return &r.Ports[i]
		}
	}
	r.Ports = append(r.Ports, PortResult{Port: t.String()})
	return &r.Ports[len(r.Ports)-1]
}

func (o *Options) signalled(v *victim, sig Signal) {
	s := Signalled{PID: v.proc.PID, Process: v.proc.Name, User: v.proc.User, Signal: sig.String(), Sockets: v.where()}
	if o.DryRun {
		s.Cmdline = v.proc.Cmdline
	}
	o.res.Signalled = append(o.res.Signalled, s)
}

// where lists the sockets a victim holds, once each.
func (v *victim) where() []string {
	var where []string
	for _, s := range v.socks {
		w := s.Proto.String() + " " + s.Local.String()
		if !slices.Contains(where, w) {
			where = append(where, w)
		}
	}
	return where
}

// freed reports a port whose listeners are gone: free, or, when sockets
// still use it (a forked child's accepted connection, TIME_WAIT), exactly
// which, since a bind without SO_REUSEADDR fails until they are gone.
func (o *Options) freed(ctx context.Context, t target, after time.Duration) {
	pr := o.res.port(t)
	pr.AfterMS = after.Milliseconds()
	pr.State = "free"
	var left []portolan.Socket
	if o.Remaining != nil {
		socks, err := o.Remaining(ctx, t.port, t.proto)
		if err == nil {
			for _, s := range socks {
				if !s.Listening() || s.Proto == portolan.UDP {
					left = append(left, s)
				}
			}
		}
	}
	after = after.Round(time.Millisecond)
	if len(left) == 0 {
		o.say("port %s is free after %s\n", t, after)
		return
	}
	pr.State = "closing"
	noun := "sockets still use it"
	if len(left) == 1 {
		noun = "socket still uses it"
	}
	o.say("port %s is no longer listened on after %s, but %d %s (a bind without SO_REUSEADDR fails until they are gone):\n", t, after, len(left), noun)
	for _, s := range left {
		r := Remaining{Proto: s.Proto, Local: s.Local.String(), State: s.State}
		line := fmt.Sprintf("    %s %s %s", s.Proto, s.Local, s.State)
		if s.Remote.IsValid() {
			r.Remote = s.Remote.String()
			line += " with " + s.Remote.String()
		}
		switch {
		case s.Owner != nil:
			r.PID, r.Process = s.Owner.PID, s.Owner.Name
			line += fmt.Sprintf(", held by pid %d (%s)", s.Owner.PID, cmdutil.Sanitize(s.Owner.Name))
		case s.State == "TIME_WAIT":
			line += ", held by the kernel (gone within 60s)"
		case s.Hidden:
			line += ", held by a process of user " + cmdutil.Sanitize(sockets.UserName(s.UID)) + " that /proc hides from you"
		default:
			line += ", held by no process (closing)"
		}
		pr.Remaining = append(pr.Remaining, r)
		o.say("%s\n", line)
	}
}

// say prints a line of the human report; --json prints the Result instead.
func (o *Options) say(format string, args ...any) {
	if !o.JSON {
		fmt.Fprintf(o.IO.Out, format, args...)
	}
}

// fail records err against the port it is about (when there is one) and
// reports it on stderr.
func (o *Options) fail(rep *report, t *target, state string, err error) {
	if t != nil {
		pr := o.res.port(*t)
		if pr.State == "" || state == "held" {
			pr.State = state
		}
		if pr.Error == "" {
			pr.Error = strings.TrimSpace(cmdutil.Message(err))
		}
	}
	rep.fail(err)
}
