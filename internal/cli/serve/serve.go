// Package serve is the `portolan serve` verb: the lease daemon and the
// organisation's port registry behind one process. It composes the store
// (SQLite by default, PostgreSQL for a team), the lease allocator and its
// reclaim loop, the portserver Unix socket, the HTTP JSON API with its
// metrics and web page, and optionally the kernel reservation of leased
// ports.
package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/reporter"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/netns"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
	"github.com/portolan-dev/portolan/webhook"
	"github.com/portolan-dev/portolan/why"
	"github.com/spf13/cobra"
)

// DefaultListen is where the API listens unless --listen says otherwise:
// loopback only, so nothing is exposed by default.
const DefaultListen = "127.0.0.1:7780"

// Options are the inputs of one run.
type Options struct {
	IO        *iostreams.IOStreams
	Registry  func() (*registry.Registry, error)
	OpenStore func(spec string) (portolan.Store, error)
	StateDir  func() (string, error)

	Listen      string
	Store       string // sqlite:PATH, a path, or postgres://...
	StoreFile   string // a file holding Store (a DSN with a password)
	PublicReads bool
	// ReportSelf: this server reports its own host's listeners to its
	// fleet, as an agent would, every ReportEvery.
	ReportSelf bool
	// Webhook receives the fleet's events, signed with the secret in
	// WebhookSecretFile (or $PORTOLAN_WEBHOOK_SECRET).
	Webhook           string
	WebhookSecretFile string
	ReportEvery       time.Duration
	MachineIDFile     string
	Portserver        string // "" to not serve the portserver socket
	TokenFile         string
	AdminTokens       []string // from $PORTOLAN_ADMIN_TOKEN, never from argv
	ReadTokens        []string // from $PORTOLAN_READ_TOKEN
	ReclaimEvery      time.Duration
	// FleetHistory is how long the fleet's events stay whole (0: always).
	FleetHistory  time.Duration
	ReserveKernel bool
	// MaxLeasesPerUser bounds the live leases of one local user other than
	// root through the portserver (0: lease.DefaultMaxPerUser; negative:
	// no bound).
	MaxLeasesPerUser int
	// ReservedPortsFile replaces ip_local_reserved_ports (tests).
	ReservedPortsFile string

	// Ready, when set, is called with the API's URL once everything listens.
	Ready func(url string)
}

// NewCmdServe returns the serve command.
func NewCmdServe(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the lease daemon, the JSON API, metrics and the web page",
		Long: `Serve leases and the organisation's port registry.

  - HTTP JSON API, metrics (/metrics) and the web page (/) on --listen, 127.0.0.1 by default.
    Reads are open from this host (loopback and its own addresses), from anywhere with
    --public-reads; writes need an admin bearer token. Tokens never go on the command line:
    the admin token is kept in --token-file (created with mode 0600 if missing; add lines
    "read SECRET NAME" for read-only tokens), more come from $PORTOLAN_ADMIN_TOKEN and
    $PORTOLAN_READ_TOKEN (whitespace-separated). Command lines and users of processes are
    shown to admin tokens only.
  - Google's portserver protocol on the Unix socket --portserver ("@name" is Linux's abstract
    namespace); point PORTSERVER_ADDRESS at it for portpicker.
  - Leases of dead owners and expired TTLs are reclaimed on start and every --reclaim-every.
  - --store sqlite:PATH (default: the state directory's portolan.db) or postgres://... so
    several servers share one registry. A password is refused in --store: put it in
    PGPASSFILE (~/.pgpass), or the whole DSN in --store-file FILE or $PORTOLAN_STORE.`,
		Example: `  portolan serve
  portolan serve --listen 0.0.0.0:7780 --store postgres://portolan@db/portolan
  PORTSERVER_ADDRESS=@unittest-portserver python -m pytest`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Registry, opts.OpenStore, opts.StateDir = f.Registry, f.OpenStore, f.StateDir
			if err := opts.fromCommandLine(cmd); err != nil {
				return err
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", DefaultListen, "HTTP address to listen on")
	fl.StringVar(&opts.Store, "store", "", "sqlite:PATH or postgres://... (default $PORTOLAN_STORE, else SQLite in the state directory)")
	fl.StringVar(&opts.Portserver, "portserver", "@unittest-portserver", "Unix socket for the portserver protocol (\"\" for none)")
	fl.StringVar(&opts.TokenFile, "token-file", "", "file holding the admin token, created with mode 0600 if missing (default STATE_DIR/token)")
	fl.StringVar(&opts.StoreFile, "store-file", "", "file holding the --store value, for a DSN with a password (mode 0600)")
	fl.StringVar(&opts.Webhook, "webhook", "", "POST the fleet's events (listeners up and down, drift) to this URL, signed (docs/webhooks.md)")
	fl.StringVar(&opts.WebhookSecretFile, "webhook-secret-file", "", "file holding the webhook's signing secret (default $PORTOLAN_WEBHOOK_SECRET)")
	fl.BoolVar(&opts.ReportSelf, "report-self", false, "report this host's own listeners to the fleet, as portolan agent would")
	fl.DurationVar(&opts.ReportEvery, "report-interval", 10*time.Second, "with --report-self: how often to report")
	fl.StringVar(&opts.MachineIDFile, "machine-id-file", "/etc/machine-id", "with --report-self: the file whose first line identifies this host")
	fl.BoolVar(&opts.PublicReads, "public-reads", false, "let anyone who reaches --listen read without a token (writes still need an admin token)")
	// Tokens on the command line are refused, not unknown: the message
	// says where they go instead.
	for _, name := range []string{"admin-token", "read-token"} {
		fl.StringArray(name, nil, "refused: use --token-file or $"+tokenEnv[name])
		fl.MarkHidden(name)
	}
	fl.BoolVar(&opts.ReserveKernel, "reserve-kernel", false, "while a port is leased, add it to ip_local_reserved_ports so bind(0) and outgoing connections skip it (root)")
	fl.IntVar(&opts.MaxLeasesPerUser, "max-leases-per-user", lease.DefaultMaxPerUser, "live leases one local user other than root may hold through the portserver (negative: no limit)")
	fl.DurationVar(&opts.ReclaimEvery, "reclaim-every", 5*time.Second, "how often to reclaim leases of dead owners and expired TTLs")
	fl.DurationVar(&opts.FleetHistory, "fleet-history", DefaultFleetHistory, "keep the fleet's events whole this long; older ones are folded into the listeners still up (0: keep all)")
	return cmd
}

// IsPostgres reports whether a store spec names PostgreSQL.
func IsPostgres(spec string) bool {
	return strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://")
}

// tokens builds the accepted token set: the token file (created on first
// start) and the environment.
func (o *Options) tokens() (*porthttp.Tokens, string, error) {
	path := o.TokenFile
	if path == "" {
		dir, err := o.StateDir()
		if err != nil {
			return nil, "", err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", err
		}
		path = filepath.Join(dir, "token")
	}
	if _, err := porthttp.EnsureTokenFile(path); err != nil {
		return nil, "", err
	}
	t := porthttp.NewTokens()
	if err := t.LoadTokenFile(path); err != nil {
		return nil, "", err
	}
	for i, s := range o.AdminTokens {
		name := fmt.Sprintf("admin-env-%d", i+1)
		if err := t.Add(s, name, porthttp.RoleAdmin); err != nil {
			return nil, "", envToken("$PORTOLAN_ADMIN_TOKEN", i, name, err)
		}
	}
	for i, s := range o.ReadTokens {
		name := fmt.Sprintf("read-env-%d", i+1)
		if err := t.Add(s, name, porthttp.RoleRead); err != nil {
			return nil, "", envToken("$PORTOLAN_READ_TOKEN", i, name, err)
		}
	}
	return t, path, nil
}

// check refuses flags that would not fail on their own: an empty --listen
// makes net.Listen bind every interface on a random port, and a negative
// --reclaim-every silently turned the reclaim loop off.
func (o *Options) check() error {
	if o.Listen == "" {
		return cmdutil.FlagErrorf("--listen is empty: want HOST:PORT, e.g. %s (0.0.0.0:7780 for every interface)", DefaultListen)
	}
	if o.ReclaimEvery < 0 {
		return cmdutil.FlagErrorf("--reclaim-every %s is negative: want a duration such as 5s, or 0 to reclaim only on start", o.ReclaimEvery)
	}
	if o.FleetHistory < 0 || (o.FleetHistory > 0 && o.FleetHistory < time.Hour) {
		return cmdutil.FlagErrorf("--fleet-history %s: want a duration of 1h or more, such as 2160h (90 days), or 0 to keep every event", o.FleetHistory)
	}
	return nil
}

// envToken names the variable behind a refused token instead of the
// token's audit name ("admin-env-1"), which the user never typed; the
// secret is not repeated.
func envToken(variable string, i int, name string, err error) error {
	msg, which := cmdutil.Message(err), fmt.Sprintf("%s #%d", variable, i+1)
	if m := strings.Replace(msg, fmt.Sprintf("token %q", name), which, 1); m != msg {
		return portolan.Errorf(portolan.ErrorCode(err), "%s", m)
	}
	return portolan.Errorf(portolan.ErrorCode(err), "%s: %s", which, msg)
}

// Run serves until ctx ends (SIGINT, SIGTERM), then shuts down in order.
func Run(ctx context.Context, o *Options) error {
	if err := o.check(); err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The heap is a few megabytes; collecting at 4x rather than 2x of it
		// costs little memory and buys ~40% more requests per second.
		debug.SetGCPercent(400)
	}
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	host, _ := registry.Host()
	store, err := o.OpenStore(o.Store)
	if err != nil {
		return err
	}
	defer store.Close()
	where := "sqlite (state directory)"
	switch {
	case IsPostgres(o.Store):
		where = "postgres"
	case o.Store != "":
		where = o.Store
	}
	toks, tokenPath, err := o.tokens()
	if err != nil {
		return err
	}
	reserved := ""
	if o.ReserveKernel {
		reserved = o.ReservedPortsFile
		if reserved == "" {
			reserved = lease.ReservedPortsFile
		}
	}
	leases, reclaim, closeLeases, err := newLeases(store, reg, reserved, o.MaxLeasesPerUser)
	if err != nil {
		return err
	}
	defer closeLeases()
	assigns := assignment.New(store, reg.ByPort, host.Ephemeral, host.UnprivilegedStart)

	// Internal errors reach the operator on stderr (clients see only
	// "internal error"); the HTTP server's own debug chatter does not.
	// The log and the start-up line share one writer that takes one write
	// at a time: the reporter and the webhook log from their goroutines.
	errOut := &lockedWriter{w: o.IO.ErrOut}
	log := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	hook, err := o.webhook(log)
	if err != nil {
		return err
	}
	if hook != nil {
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			hook.Close(ctx)
		}()
	}

	srv := porthttp.NewServer(porthttp.Config{
		Registry: reg,
		Search: func(q string, limit int) []portolan.Service {
			hits := reg.Search(q, limit)
			out := make([]portolan.Service, len(hits))
			for i, h := range hits {
				out[i] = h.Service
			}
			return out
		},
		SearchCommon: registry.SearchCommonUses,
		Host: porthttp.HostInfo{Ephemeral: host.Ephemeral, Reserved: host.Reserved,
			UnprivilegedStart: host.UnprivilegedStart, Defaults: host.Defaults, Source: host.Source},
		Sockets:     listeners,
		Leases:      leases,
		Names:       namesOf(leases),
		Assignments: assigns,
		Why: func(ctx context.Context, p portolan.Port, proto portolan.Proto) (portolan.BindReport, error) {
			return why.Bind(ctx, why.Sources{Sockets: whySockets, Elsewhere: netns.Elsewhere, Host: func() (portolan.HostRanges, error) { return portolan.HostRanges(host), nil }}, p, proto)
		},
		Health: pinger(store),
		Fleet:  fleetOf(store),
		OnFleetEvents: func(evs []portolan.FleetEvent) {
			if hook != nil {
				sendEvents(hook, evs)
			}
		},
		Webhook:     webhookStats(hook),
		Tokens:      toks,
		UI:          webUI(),
		Logger:      log,
		PublicReads: o.PublicReads,
	})

	// Leases of owners that died while we were down go back first.
	n, err := reclaim(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	srv.Reclaimed(n)

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return portolan.Errorf(portolan.EINVALID, "cannot listen on %s: %s; want a free HOST:PORT", o.Listen, errText(err))
	}
	// The parts run under one group: the first to fail stops the others,
	// and Run returns only when all have returned, so the deferred
	// closes (the allocator's kernel reservations, then the store) come
	// after the last request, portserver grant and reclaim sweep.
	g, ctx := newGroup(ctx)
	g.Go(func() error { return srv.Serve(ctx, ln) })
	g.Go(func() error { return reclaimLoop(ctx, o.ReclaimEvery, reclaim, srv, log) })
	g.Go(func() error { return historyLoop(ctx, fleetOf(store), o.FleetHistory, log) })
	ps := "off"
	if o.Portserver != "" {
		pln, err := listenPortserver(o.Portserver)
		if err != nil {
			g.Stop()
			g.Wait()
			return portolan.Errorf(portolan.EINVALID, "cannot listen on portserver socket %s: %s; want a free one: --portserver @NAME or a PATH, or --portserver= for none (another portolan serve or portserver may hold this one)", o.Portserver, errText(err))
		}
		ps = o.Portserver
		g.Go(func() error { return servePortserver(ctx, pln, srv.LeaseService()) })
	}
	url := "http://" + ln.Addr().String()
	if o.ReportSelf {
		r, err := o.selfReporter(url, toks, log)
		if err != nil {
			g.Stop()
			g.Wait()
			return err
		}
		g.Go(func() error { return r.Run(ctx) })
	}
	fmt.Fprintf(errOut, "portolan serve: API %s, portserver %s, store %s, admin token in %s\n", url, ps, where, tokenPath)
	if o.Ready != nil {
		o.Ready(url)
	}
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func errText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func pinger(s portolan.Store) func(context.Context) error {
	if h, ok := s.(portolan.HealthChecker); ok {
		return h.Health
	}
	if p, ok := s.(interface{ Ping(context.Context) error }); ok {
		return p.Ping
	}
	return func(ctx context.Context) error {
		_, err := s.Assignments(ctx, portolan.AssignmentFilter{Owner: "\x00healthz"})
		return err
	}
}

// reclaimLoop sweeps every interval until ctx ends. A failed sweep is
// logged when it starts failing or fails differently, and a recovery once,
// so a store that is down does not flood the log every few seconds.
func reclaimLoop(ctx context.Context, every time.Duration, reclaim func(context.Context) (int, error), srv *porthttp.Server, log *slog.Logger) error {
	if every <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var failing string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := reclaim(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil // cut short by shutdown
		case err != nil:
			if msg := err.Error(); msg != failing {
				log.Error("reclaiming leases failed", "err", err)
				failing = msg
			}
		default:
			if failing != "" {
				log.Info("reclaiming leases works again")
				failing = ""
			}
			srv.Reclaimed(n)
		}
	}
}

// namesOf is the allocator's named ports, when it keeps them.
func namesOf(svc portolan.LeaseService) portolan.NameService {
	ns, _ := svc.(portolan.NameService)
	return ns
}

// whySockets lists every socket on p in every state with owners, for GET
// /v1/why.
func whySockets(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	f := sockets.Filter{Port: p, All: true, WithOwners: true}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	return sockets.List(ctx, f)
}

// fleetOf is the store's fleet, when it keeps one (both shipped stores do).
func fleetOf(store portolan.Store) portolan.FleetStore {
	fs, _ := store.(portolan.FleetStore)
	return fs
}

// selfReporter reports this host to this server under an agent token made
// for the purpose, which lives as long as the process.
func (o *Options) selfReporter(url string, toks *porthttp.Tokens, log *slog.Logger) (*reporter.Reporter, error) {
	if o.ReportEvery < 100*time.Millisecond {
		return nil, cmdutil.FlagErrorf("--report-interval %s is too short: want at least 100ms", o.ReportEvery)
	}
	id, err := reporter.MachineID(o.MachineIDFile)
	if err != nil {
		return nil, err
	}
	secret := porthttp.NewSecret()
	// The token's name is the host's: an agent token reports for one host,
	// and two servers on one store may each report their own.
	if err := toks.Add(secret, "self@"+id, porthttp.RoleAgent); err != nil {
		return nil, err
	}
	name, _ := os.Hostname()
	return &reporter.Reporter{Client: porthttp.NewClient(url, secret), Interval: o.ReportEvery, Resync: 60 * o.ReportEvery, Log: log,
		Base: portolan.FleetReport{HostID: id, HostName: name, Interval: o.ReportEvery}}, nil
}

// webhook starts the sender of --webhook, or returns nil without one.
func (o *Options) webhook(log *slog.Logger) (*webhook.Sender, error) {
	if o.Webhook == "" {
		if o.WebhookSecretFile != "" {
			return nil, cmdutil.FlagErrorf("--webhook-secret-file without --webhook: want both, or neither")
		}
		return nil, nil
	}
	if o.WebhookSecretFile != "" {
		return webhook.NewFromSecretFile(o.Webhook, o.WebhookSecretFile, webhook.Options{Logger: log})
	}
	secret := []byte(os.Getenv("PORTOLAN_WEBHOOK_SECRET"))
	if len(secret) == 0 {
		return nil, cmdutil.FlagErrorf("--webhook needs a signing secret: --webhook-secret-file F or $PORTOLAN_WEBHOOK_SECRET (16 bytes or more)")
	}
	return webhook.New(o.Webhook, secret, webhook.Options{Logger: log})
}

// sendEvents queues each event as its JSON, its id a digest of that JSON
// so a receiver can drop a redelivery.
func sendEvents(hook *webhook.Sender, evs []portolan.FleetEvent) {
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		hook.Send(hex.EncodeToString(sum[:12]), b)
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// webhookStats is the sender's counters for /metrics, or nil without one.
func webhookStats(hook *webhook.Sender) func() webhook.Stats {
	if hook == nil {
		return nil
	}
	return hook.Stats
}
