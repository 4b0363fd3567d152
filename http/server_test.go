package http_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
)

// call makes one raw request and returns the status and the decoded body.
func call(t *testing.T, method, url, token, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return resp.StatusCode, m, resp.Header
}

func errorOf(m map[string]any) (code, msg string) {
	e, _ := m["error"].(map[string]any)
	code, _ = e["code"].(string)
	msg, _ = e["message"].(string)
	return
}

func TestGetPort(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	if _, err := e.admin.Assign(ctx, &portolan.Assignment{Port: 443, Proto: portolan.TCP, Name: "https", Owner: "edge"}, false); err != nil {
		t.Fatal(err)
	}
	st, m, h := call(t, "GET", e.url+"/v1/ports/443", "", "")
	if st != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/ports/443 = %d %s", st, h.Get("Content-Type"))
	}
	for _, k := range []string{"query", "class", "records", "common_uses", "host", "sockets", "leases", "assignments"} {
		if _, ok := m[k]; !ok {
			t.Errorf("answer lacks %q: %v", k, m)
		}
	}
	var info porthttp.PortInfo
	got, _ := e.anon.Port(ctx, "443")
	info = *got
	if info.Class.Class != portolan.System || len(info.Records) != 2 || info.Records[0].Name != "https" {
		t.Errorf("443: class %v, records %+v; want system and the two https records", info.Class, info.Records)
	}
	if !info.Host.NeedsPrivilege || info.Host.InEphemeral {
		t.Errorf("443 host facts = %+v; want needs privilege, not ephemeral", info.Host)
	}
	if len(info.Assignments) != 1 || info.Assignments[0].Owner != "edge" {
		t.Errorf("443 assignments = %+v; want the edge team's", info.Assignments)
	}
	// A range record answers for a port inside it; a protocol narrows.
	got, err := e.anon.Port(ctx, "6010/tcp")
	if err != nil || len(got.Records) != 1 || got.Records[0].Name != "x11" {
		t.Errorf("6010/tcp = %+v, %v; want x11", got, err)
	}
	// curl users write the protocol with a plain slash.
	if st, m, _ := call(t, "GET", e.url+"/v1/ports/443/udp", "", ""); st != 200 || m["query"] != "443/udp" || len(m["records"].([]any)) != 1 {
		t.Errorf("GET /v1/ports/443/udp = %d %v", st, m)
	}
	// This host's listener on 8080 shows up; the connected socket does not.
	got, _ = e.anon.Port(ctx, "8080")
	if len(got.Sockets) != 1 || got.Sockets[0].Owner.Name != "web" {
		t.Errorf("8080 sockets = %+v; want the listener owned by web", got.Sockets)
	}
	got, _ = e.anon.Port(ctx, "40000")
	if len(got.Sockets) != 0 || !got.Host.InEphemeral {
		t.Errorf("40000 = %+v; want no listener, in the ephemeral range", got)
	}
	got, err = e.anon.Port(ctx, "postgresql")
	if err != nil || got.Class != nil || len(got.Records) != 1 || got.Records[0].Ports.Lo != 5432 {
		t.Errorf("postgresql = %+v, %v; want the 5432 record", got, err)
	}
	got, _ = e.anon.Port(ctx, "3000")
	if len(got.CommonUses) != 1 || got.CommonUses[0].Name != "node" {
		t.Errorf("3000 common uses = %+v", got.CommonUses)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, tc := range []struct {
		method, path, token, body string
		status                    int
		code, msg                 string
	}{
		{"GET", "/v1/ports/70000", "", "", 400, "invalid", "port 70000 is out of range 0-65535"},
		{"GET", "/v1/ports/no-such-service", "", "", 404, "not_found", `no service named "no-such-service"`},
		{"GET", "/v1/ports/1-65535", "", "", 400, "invalid", "want at most 4096"},
		{"GET", "/v1/scan", "", "", 404, "not_found", "scanning is never offered over HTTP"},
		{"GET", "/v1/search", "", "", 400, "invalid", "search needs ?q="},
		{"GET", "/v1/audit?limit=0", "", "", 400, "invalid", `limit="0" is not a number 1-10000`},
		{"DELETE", "/v1/leases/20000", adminToken, "", 404, "not_found", "port 20000 is not leased"},
		{"DELETE", "/v1/assignments/5432/xtp", adminToken, "", 400, "invalid", `protocol "xtp" in the path`},
		{"DELETE", "/v1/assignments/5432/tcp", adminToken, "", 404, "not_found", "5432/tcp is not assigned"},
		{"POST", "/v1/leases", adminToken, `{"count":5000}`, 400, "invalid", "count 5000 is out of range: want 1-1000"},
		{"POST", "/v1/leases", adminToken, `{"ttl":"soon"}`, 400, "invalid", `ttl "soon" is not a duration`},
		{"POST", "/v1/leases", adminToken, `{"protocol":"icmp"}`, 400, "invalid", `protocol "icmp" is not one of`},
		{"POST", "/v1/leases", adminToken, `{"cuont":1}`, 400, "invalid", `unknown field "cuont"`},
		{"POST", "/v1/leases", adminToken, `{"count":1} {}`, 400, "invalid", "data after the JSON object"},
		{"POST", "/v1/leases", adminToken, `{"count":"1"}`, 400, "invalid", `field "count" is a string: want a whole number 1-1000`},
		{"POST", "/v1/leases", adminToken, ``, 400, "invalid", "request body is empty"},
		{"POST", "/v1/leases", adminToken, `{"count":` + strings.Repeat(" ", 70<<10) + `1}`, 413, "too_large", "request body is 71691 bytes: want at most 65536"},
		{"POST", "/v1/assignments", adminToken, `{"protocol":"tcp","name":"x"}`, 400, "invalid", `request body needs "port"`},
		{"POST", "/v1/assignments", adminToken, `{"port":7001,"protocol":"tcp","name":"bad name"}`, 400, "invalid", `service name "bad name" is not valid`},
		{"POST", "/v1/assignments", adminToken, `{"port":70000,"protocol":"tcp","name":"x"}`, 400, "invalid", "port 70000 is out of range 0-65535"},
		{"POST", "/v1/assignments", "", `{}`, 401, "unauthorized", "needs an admin bearer token"},
		{"POST", "/v1/assignments", "wrong-token-0123456789", `{}`, 401, "unauthorized", "not valid for this server"},
		{"POST", "/v1/assignments", readToken, `{}`, 403, "forbidden", "token dash is read-only"},
		{"DELETE", "/v1/leases/1", readToken, "", 403, "forbidden", "read-only"},
	} {
		st, m, h := call(t, tc.method, e.url+tc.path, tc.token, tc.body)
		code, msg := errorOf(m)
		if st != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s %s %.40q = %d %s %q; want %d %s containing %q", tc.method, tc.path, tc.body, st, code, msg, tc.status, tc.code, tc.msg)
		}
		if st == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", tc.method, tc.path)
		}
	}
}

// Reads are open from loopback only; elsewhere they need a token. The
// remote address is set on the request, no other host is contacted.
func TestReadsFromOutsideNeedToken(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, tc := range []struct {
		remote, host, token string
		want                int
	}{
		{"127.0.0.1:5000", "127.0.0.1:7780", "", 200},
		{"[::1]:5000", "[::1]:7780", "", 200},
		{"127.0.0.1:5000", "localhost:7780", "", 200},
		{"192.0.2.7:5000", "192.0.2.1:7780", "", 401},
		{"192.0.2.7:5000", "192.0.2.1:7780", readToken, 200},
		{"192.0.2.7:5000", "ports.example", adminToken, 200},
		// DNS rebinding: a browser on a page of evil.example that resolves to 127.0.0.1.
		{"127.0.0.1:5000", "evil.example:7780", "", 401},
		{"127.0.0.1:5000", "evil.example:7780", readToken, 200},
	} {
		req := httptest.NewRequest("GET", "/v1/ranges", nil)
		req.RemoteAddr = tc.remote
		req.Host = tc.host
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("GET /v1/ranges from %s to Host %s with token %q = %d, want %d", tc.remote, tc.host, tc.token, rec.Code, tc.want)
		}
	}
}

func TestLeasesOverHTTP(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	ls, err := e.admin.Grant(ctx, portolan.LeaseRequest{Count: 3, Proto: portolan.TCP, TTL: time.Minute, Label: "ci"})
	if err != nil || len(ls) != 3 || ls[0].Label != "ci" {
		t.Fatalf("Grant = %+v, %v", ls, err)
	}
	if _, err := e.reader.Grant(ctx, portolan.LeaseRequest{}); portolan.ErrorCode(err) != portolan.EFORBIDDEN {
		t.Fatalf("Grant with a read token = %v, want EFORBIDDEN", err)
	}
	got, err := e.anon.Leases(ctx)
	if err != nil || len(got) != 3 {
		t.Fatalf("Leases = %+v, %v", got, err)
	}
	if err := e.admin.Release(ctx, ls[1].Port); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.Release(ctx, ls[1].Port); portolan.ErrorCode(err) != portolan.ENOTFOUND {
		t.Fatalf("second Release = %v, want ENOTFOUND", err)
	}
	// The change shows at once in the port view and the map (no stale cache).
	info, _ := e.anon.Port(ctx, ls[0].Port.String())
	if len(info.Leases) != 1 {
		t.Errorf("port %d shows %d leases, want 1", ls[0].Port, len(info.Leases))
	}
	info, _ = e.anon.Port(ctx, ls[1].Port.String())
	if len(info.Leases) != 0 {
		t.Errorf("released port %d still shows a lease", ls[1].Port)
	}
	// A number TTL means seconds.
	st, _, _ := call(t, "POST", e.url+"/v1/leases", adminToken, `{"ttl":90,"protocol":"both"}`)
	if st != 201 {
		t.Fatalf("POST with ttl 90 = %d", st)
	}
}

func TestAssignmentsOverHTTP(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	a := &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "payments", Note: "primary"}
	cs, err := e.admin.Assign(ctx, a, false)
	if err != nil || len(cs) != 0 || a.ID == 0 || a.CreatedBy != "alice (token ci)" {
		t.Fatalf("Assign = %+v, %v (assignment %+v)", cs, err, a)
	}
	// Refused: the error carries the explanation and the conflicts.
	cs, err = e.admin.Assign(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "ledger"}, true)
	if portolan.ErrorCode(err) != portolan.ECONFLICT || err.Error() != "7001/tcp is already assigned to billing (owner payments)" || len(cs) != 1 {
		t.Fatalf("duplicate Assign = %v, %+v", err, cs)
	}
	_, err = e.admin.Assign(ctx, &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "billing-db"}, false)
	if portolan.ErrorCode(err) != portolan.ECONFLICT || !strings.Contains(err.Error(), "assigned by IANA to postgresql") {
		t.Fatalf("IANA conflict without force = %v", err)
	}
	cs, err = e.admin.Assign(ctx, &portolan.Assignment{Port: 5432, Proto: portolan.TCP, Name: "billing-db"}, true)
	if err != nil || len(cs) != 1 || cs[0].Kind != "iana" {
		t.Fatalf("forced Assign = %+v, %v", cs, err)
	}
	cs, err = e.admin.Assign(ctx, &portolan.Assignment{Port: 50000, Proto: portolan.UDP, Name: "cache"}, false)
	if err != nil || len(cs) != 2 || cs[0].Kind != "ephemeral" {
		t.Fatalf("ephemeral Assign = %+v, %v; want stored with warnings", cs, err)
	}
	as, err := e.reader.Assignments(ctx, portolan.AssignmentFilter{Owner: "payments"})
	if err != nil || len(as) != 1 || as[0].Note != "primary" {
		t.Fatalf("Assignments(owner payments) = %+v, %v", as, err)
	}
	p := portolan.Port(5432)
	if as, _ := e.anon.Assignments(ctx, portolan.AssignmentFilter{Port: &p, Proto: portolan.TCP}); len(as) != 1 {
		t.Fatalf("Assignments(5432/tcp) = %+v", as)
	}
	var withConflicts []porthttp.AssignResult
	_, body := get(t, e.url+"/v1/assignments?conflicts=1")
	if err := json.Unmarshal([]byte(body), &withConflicts); err != nil || len(withConflicts) != 3 ||
		withConflicts[0].Conflicts[0].Kind != "iana" || len(withConflicts[1].Conflicts) != 0 || len(withConflicts[2].Conflicts) != 2 {
		t.Fatalf("GET /v1/assignments?conflicts=1 = %s", body)
	}
	if err := e.admin.Unassign(ctx, 7001, portolan.TCP, ""); err != nil {
		t.Fatal(err)
	}
	audit, err := e.anon.Audit(ctx, 10)
	if err != nil || len(audit) != 4 || audit[0].Action != "unassign" || audit[0].Actor != "alice (token ci)" || audit[0].Subject != "7001/tcp" {
		t.Fatalf("Audit = %+v, %v; want alice's unassign first", audit, err)
	}
	// Metrics count the conflicts by kind.
	_, body = get(t, e.url+"/metrics")
	for _, want := range []string{
		`portolan_assignment_conflicts_total{kind="assigned",severity="refuse"} 1`,
		`portolan_assignment_conflicts_total{kind="iana",severity="force"} 2`,
		`portolan_assignment_conflicts_total{kind="ephemeral",severity="warn"} 2`,
		`portolan_http_requests_total{code="409",method="POST",route="assignments"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	for range 3 {
		e.anon.Port(ctx, "443")
	}
	e.admin.Grant(ctx, portolan.LeaseRequest{Count: 2})
	e.srv.Reclaimed(1)
	st, body := get(t, e.url+"/metrics")
	if st != 200 {
		t.Fatalf("/metrics = %d", st)
	}
	for _, want := range []string{
		`portolan_http_requests_total{code="200",method="GET",route="ports"} 3`,
		`portolan_http_request_duration_seconds_count{route="ports"} 3`,
		`portolan_leases_granted_total 2`,
		`portolan_leases_live 2`,
		`portolan_leases_reclaimed_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestMap(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	e.admin.Assign(ctx, &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing"}, false)
	ls, _ := e.admin.Grant(ctx, portolan.LeaseRequest{Count: 1})
	st, body := get(t, e.url+"/v1/map")
	if st != 200 {
		t.Fatalf("/v1/map = %d %s", st, body)
	}
	if len(body) > 16<<10 {
		t.Errorf("/v1/map is %d bytes, want a compact answer under 16 KiB", len(body))
	}
	var m porthttp.PortMap
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	bits, err := base64.StdEncoding.DecodeString(m.IANA)
	if err != nil || len(bits) != 8192 {
		t.Fatalf("iana bitset: %d bytes, %v", len(bits), err)
	}
	set := func(p int) bool { return bits[p>>3]&(1<<(p&7)) != 0 }
	for _, p := range []int{443, 5432, 6000, 6063} {
		if !set(p) {
			t.Errorf("IANA bit of %d is clear", p)
		}
	}
	for _, p := range []int{0, 444, 6064, 65535} {
		if set(p) {
			t.Errorf("IANA bit of %d is set", p)
		}
	}
	if m.Size != 65536 || len(m.Classes) != 3 || m.Classes[2].Lo != 49152 || len(m.Ephemeral) != 1 || m.Ephemeral[0] != [2]int{32768, 60999} {
		t.Errorf("map header = size %d classes %+v ephemeral %v", m.Size, m.Classes, m.Ephemeral)
	}
	if len(m.Listeners) != 1 || m.Listeners[0] != 8080 || len(m.Assignments) != 1 || m.Assignments[0] != 7001 ||
		len(m.Leases) != 1 || m.Leases[0] != ls[0].Port {
		t.Errorf("map ports: listeners %v assignments %v leases %v", m.Listeners, m.Assignments, m.Leases)
	}
}

func TestRangesSearchSocketsHealth(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Health = func(context.Context) error {
			if healthy.Load() {
				return nil
			}
			return io.ErrUnexpectedEOF
		}
	})
	var r porthttp.Ranges
	_, body := get(t, e.url+"/v1/ranges")
	json.Unmarshal([]byte(body), &r)
	if len(r.Classes) != 3 || len(r.Overlaps) != 2 || r.Overlaps[0].Range != portolan.MustParseRange("32768-49151") {
		t.Errorf("/v1/ranges = %s", body)
	}
	var sr porthttp.SearchResult
	_, body = get(t, e.url+"/v1/search?q=postgresql")
	json.Unmarshal([]byte(body), &sr)
	if len(sr.Results) != 1 || sr.Results[0].Ports.Lo != 5432 {
		t.Errorf("/v1/search?q=postgresql = %s", body)
	}
	// A number typed into search finds the records on that port first, even
	// when a text search is configured that only knows words.
	words := newEnv(t, nil, func(c *porthttp.Config) {
		c.Search = func(string, int) []portolan.Service { return nil }
	})
	sr = porthttp.SearchResult{}
	_, body = get(t, words.url+"/v1/search?q=5432")
	json.Unmarshal([]byte(body), &sr)
	if len(sr.Results) == 0 || sr.Results[0].Name != "postgresql" {
		t.Errorf("/v1/search?q=5432 = %s; want postgresql first", body)
	}
	var socks []portolan.Socket
	_, body = get(t, e.url+"/v1/sockets")
	json.Unmarshal([]byte(body), &socks)
	if len(socks) != 1 || socks[0].Local.Port() != 8080 {
		t.Errorf("/v1/sockets = %s; want the one listener", body)
	}
	if err := e.anon.Health(context.Background()); err != nil {
		t.Errorf("healthz: %v", err)
	}
	healthy.Store(false)
	if st, body := get(t, e.url+"/healthz"); st != 503 || !strings.Contains(body, "unavailable") {
		t.Errorf("unhealthy /healthz = %d %s", st, body)
	}
}

// A client that sends its request headers too slowly is cut off.
func TestSlowClientCutOff(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) {
		c.Timeouts = porthttp.Timeouts{ReadHeader: 300 * time.Millisecond, Read: time.Second}
	})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.Write([]byte("GET /v1/ranges HTTP/1.1\r\nHost: x\r\n"))
	// Trickle one header byte every 100ms; the server must hang up.
	closed := false
	for i := 0; i < 30 && !closed; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := conn.Write([]byte("X")); err != nil {
			closed = true
		}
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(conn)
	if el := time.Since(start); el > 2500*time.Millisecond || bytes.Contains(b, []byte("200 OK")) {
		t.Fatalf("slow client kept for %v (read %q); want cut off after ~300ms", el, b)
	}
}

func TestUIMountedAtRoot(t *testing.T) {
	e := newEnv(t, nil, nil)
	if st, body := get(t, e.url+"/"); st != 404 || !strings.Contains(body, "the API lives under /v1/") {
		t.Errorf("GET / without a UI = %d %s", st, body)
	}
	ui := newEnv(t, nil, func(c *porthttp.Config) {
		c.UI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<!doctype html>page") })
	})
	if st, body := get(t, ui.url+"/"); st != 200 || body != "<!doctype html>page" {
		t.Errorf("GET / with a UI = %d %s", st, body)
	}
	if st, _ := get(t, ui.url+"/v1/ranges"); st != 200 {
		t.Errorf("the UI shadows the API: /v1/ranges = %d", st)
	}
}

// At most MaxConns connections are open at once: a new one replaces the
// oldest that sent nothing, so silent connections cannot hold every slot.
func TestMaxConns(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) { c.MaxConns = 2 })
	addr := strings.TrimPrefix(e.url, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
		time.Sleep(50 * time.Millisecond) // in order: held[0] is the oldest
	}
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	third.Write([]byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 64)
	if n, err := third.Read(b); err != nil || !strings.HasPrefix(string(b[:n]), "HTTP/1.1 200") {
		t.Fatalf("the third connection got %q, %v; want an answer", b[:n], err)
	}
	held[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := held[0].Read(b); n != 0 || err != io.EOF {
		t.Errorf("the oldest silent connection read %q, %v; want it closed (EOF)", b[:n], err)
	}
}
