package query_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	"github.com/portolan-dev/portolan/holder"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/ls"
	"github.com/portolan-dev/portolan/internal/cli/query"
	"github.com/portolan-dev/portolan/internal/memstore"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/sockets"
)

// storeLeases lists a store's leases, all a lookup asks of a lease service.
type storeLeases struct{ *memstore.Store }

func (storeLeases) Grant(context.Context, portolan.LeaseRequest) ([]portolan.Lease, error) {
	return nil, portolan.Errorf(portolan.EUNSUPPORTED, "not in this test")
}
func (storeLeases) Release(context.Context, portolan.Port) error {
	return portolan.Errorf(portolan.EUNSUPPORTED, "not in this test")
}

// TestCLIAndAPIAgree runs the same queries through `portolan QUERY --json`
// and GET /v1/ports/{query} over one registry, one host, one store and this
// host's real sockets, and requires the same documents, the same refusals
// and the same "not found".
func TestCLIAndAPIAgree(t *testing.T) {
	ctx := context.Background()
	reg := registry.Embedded()
	host := registry.HostRanges{Ephemeral: portolan.MustParseRange("32768-60999"), Reserved: []portolan.Range{portolan.MustParseRange("40000-40010")},
		UnprivilegedStart: 1024, Source: "test"}
	store := memstore.New()
	for _, a := range []portolan.Assignment{
		{Port: 8088, Proto: portolan.TCP, Name: "billing-api", Owner: "payments"},
		{Port: 5432, Proto: portolan.TCP, Name: "main-db", Owner: "data"},
		{Port: 3000, Proto: portolan.UDP, Name: "metrics-udp"},
	} {
		if err := store.CreateAssignment(ctx, &a); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.InsertLeases(ctx, []*portolan.Lease{{Port: 20001, Proto: portolan.TCP, Label: "ci", Created: time.Unix(1_800_000_000, 0).UTC()}}); err != nil {
		t.Fatal(err)
	}
	// A real listener, so the sockets section has something in both.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mine := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)

	// The CLI shows the owners' command lines and users to the user who
	// runs it; the API shows them to admin tokens only, so the API side
	// asks as admin.
	tokens := porthttp.NewTokens()
	if err := tokens.Add("parity-admin-token", "parity", porthttp.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(porthttp.NewServer(porthttp.Config{
		Tokens:   tokens,
		Registry: reg,
		Host: porthttp.HostInfo{Ephemeral: host.Ephemeral, Reserved: host.Reserved, UnprivilegedStart: host.UnprivilegedStart,
			Defaults: host.Defaults, Source: host.Source},
		// As serve's scan: the listeners with their holders (serve adds
		// each listener's exposure too, for the page; the CLI does not).
		Sockets: func(ctx context.Context) ([]portolan.Socket, error) {
			socks, err := sockets.List(ctx, sockets.Filter{WithOwners: true})
			holder.Annotate(socks, holder.Options{})
			return socks, err
		},
		Leases:      storeLeases{store},
		Assignments: &assignment.Service{Store: store, IANA: reg.ByPort},
	}).Handler())
	defer srv.Close()

	cli := func(q string) (docs []any, msg string, code int) {
		ios, _, out, errOut := iostreams.Test()
		o := &query.Options{
			IO:       ios,
			Registry: func() (*registry.Registry, error) { return reg, nil },
			Host:     func() (registry.HostRanges, error) { return host, nil },
			Sockets:  ls.QuerySockets,
			Leases:   store.Leases,
			// As assignments.QuerySections answers: those on ports r.
			Assignments: func(ctx context.Context, r portolan.Range, proto portolan.Proto) ([]portolan.Assignment, error) {
				all, err := store.Assignments(ctx, portolan.AssignmentFilter{})
				var out []portolan.Assignment
				for _, a := range all {
					if r.Contains(a.Port) && proto.Matches(a.Proto) {
						out = append(out, a)
					}
				}
				return out, err
			},
			Queries: []string{q},
			JSON:    true,
		}
		err := query.Run(ctx, o)
		dec := json.NewDecoder(out)
		for {
			var v any
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("portolan %s --json: %v in %s", q, err, out)
			}
			docs = append(docs, v)
		}
		msg = cmdutil.Message(err)
		if msg == "" {
			msg = strings.TrimSpace(errOut.String())
		}
		return docs, msg, cmdutil.ExitCode(err)
	}
	api := func(q string) (doc any, msg string, status int) {
		req, err := http.NewRequest("GET", srv.URL+"/v1/ports/"+url.PathEscape(q), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer parity-admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			var e porthttp.ErrorBody
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("GET /v1/ports/%s: %d %s", q, resp.StatusCode, b)
			}
			return nil, e.Error.Message, resp.StatusCode
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("GET /v1/ports/%s: %v in %s", q, err, b)
		}
		return doc, "", 200
	}

	queries := []string{
		// ports, with and without a protocol
		"0", "1", "22", "53/udp", "80/tcp", "443", "1023", "1024", "3000", "3000/udp", "3000/tcp", "5173", "5432",
		"6010/tcp", "6443", "9200", "25565", "49151", "49152", "50000", "65535", "8088", "20001", "20001/udp",
		mine, mine + "/tcp", mine + "/udp", ":8080", "80,443", "22,ssh,:8443",
		// ranges
		"6000-6010", "6660-6670/tcp", "30000-30100", "0-100", "65500-65535", "40000-40020",
		// IANA names
		"https", "HTTPS", "http/udp", "x11", "xmlipcregsvc", "9pfs", "whois++", "http-alt", "kerberos",
		// common-use names
		"vite", "kafka", "postgres", "postgresql", "grafana", "mosh", "wireguard/udp", "redis/tcp",
		// assignment names
		"billing-api", "Billing-API", "metrics-udp",
		// nothing by that name
		"no-such-service", "billing-api/udp", "vite/udp",
		// bad input
		"70000", "80/foo", "5-", "0-65535", "-1", "80,,443", "a b",
	}
	if len(queries) < 50 {
		t.Fatalf("only %d queries", len(queries))
	}
	for _, q := range queries {
		docs, cmsg, code := cli(q)
		doc, amsg, status := api(q)
		switch {
		case status == 400 || code == 2:
			if status != 400 || code != 2 || cmsg != amsg {
				t.Errorf("%s: CLI exit %d %q, API %d %q; want exit 2 and 400 with one message", q, code, cmsg, status, amsg)
			}
		case status == 404 || code == 1:
			// The CLI prints the empty document and the reason on stderr
			// (with a hint to search); the API answers 404 with the reason.
			if status != 404 || code != 1 || !strings.HasPrefix(cmsg, "portolan: "+amsg+";") {
				t.Errorf("%s: CLI exit %d %q, API %d %q; want exit 1 and 404 with one reason", q, code, cmsg, status, amsg)
			}
		case status != 200 || code != 0:
			t.Errorf("%s: CLI exit %d %q, API %d %q", q, code, cmsg, status, amsg)
		case strings.Contains(q, ","):
			if arr, ok := doc.([]any); !ok || !reflect.DeepEqual(arr, docs) {
				t.Errorf("%s: the API's array is not the CLI's documents\nCLI %v\nAPI %v", q, docs, doc)
			}
		case len(docs) != 1 || !reflect.DeepEqual(docs[0], doc):
			c, _ := json.Marshal(docs)
			a, _ := json.Marshal(doc)
			t.Errorf("%s: documents differ\nCLI %s\nAPI %s", q, c, a)
		}
	}

	// The answers hold what the issue found missing on one side.
	for q, want := range map[string]string{
		"3000/udp":    `"name":"metrics-udp"`,
		"vite":        `"name":"vite"`,
		"kafka":       `"ports":"9092"`,
		"postgres":    `"name":"postgresql"`,
		"billing-api": `"name":"billing-api","owner":"payments"`,
		mine:          `"local":"127.0.0.1:` + mine + `"`,
		"20001":       `"label":"ci"`,
	} {
		doc, _, _ := api(q)
		b, _ := json.Marshal(doc)
		if !strings.Contains(string(b), want) {
			t.Errorf("%s = %s; want %s", q, b, want)
		}
		if q == "3000/udp" && strings.Contains(string(b), "node-dev") {
			t.Errorf("3000/udp shows the TCP common uses: %s", b)
		}
	}
}
