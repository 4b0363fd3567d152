package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	porthttp "github.com/portolan-dev/portolan/http"
)

// Bad input of every kind is answered in JSON with the status of its code
// and a message naming the input and the valid form, in the API's words
// (no Go type names, no encoding/json wording, no kilobytes echoed back).
func TestBadInput(t *testing.T) {
	e := newEnv(t, nil, nil)
	long := strings.Repeat("9", 3000)
	for _, tc := range []struct {
		method, path, token, ctype, body string
		status                           int
		code, msg                        string
	}{
		// Wrong methods on paths that exist: 405 with Allow, not 404.
		{"PUT", "/v1/ports/80", "", "", "", 405, "method_not_allowed", "PUT is not allowed on /v1/ports/80: /v1/ports/{query} answers GET, HEAD"},
		{"PATCH", "/v1/assignments", adminToken, "", "", 405, "method_not_allowed", "/v1/assignments answers GET, HEAD, POST"},
		{"DELETE", "/v1/leases", adminToken, "", "", 405, "method_not_allowed", "/v1/leases answers GET, HEAD, POST"},
		{"POST", "/healthz", "", "", "", 405, "method_not_allowed", "/healthz answers GET, HEAD"},
		{"GET", "/v1/ports/80/tcp/extra", "", "", "", 404, "not_found", "no API endpoint GET /v1/ports/80/tcp/extra"},
		// Long path and query values are named by their start.
		{"GET", "/v1/ports/" + strings.Repeat("a", 5000), "", "", "", 400, "invalid", `query "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." (5000 bytes) is too long: want a port`},
		{"DELETE", "/v1/leases/" + long, adminToken, "", "", 400, "invalid", `port "99999999999999999999999999999999..." (3000 bytes) is not a port: want a number 0-65535`},
		{"DELETE", "/v1/assignments/80/" + long, adminToken, "", "", 400, "invalid", `(3000 bytes) in the path is not one of tcp, udp, sctp, dccp`},
		{"GET", "/v1/search?q=" + strings.Repeat("a", 300), "", "", "", 400, "invalid", `(300 bytes) is too long: want 1-200 characters`},
		{"GET", "/v1/audit?limit=" + long, "", "", "", 400, "invalid", `(3000 bytes) is not a number 1-10000`},
		// Query strings: unknown, repeated and malformed parameters are refused.
		{"GET", "/v1/assignments?prot=tcp", "", "", "", 400, "invalid", `query parameter "prot" is not known: want owner, name, port, protocol, conflicts`},
		{"GET", "/v1/sockets?port=80", "", "", "", 400, "invalid", `query parameter "port" is not known: GET /v1/sockets takes none`},
		{"GET", "/v1/search?q=http&limit=1&limit=2", "", "", "", 400, "invalid", `query parameter "limit" is given 2 times: want it once`},
		{"GET", "/v1/search?q=a;b", "", "", "", 400, "invalid", `query string "q=a;b" is malformed`},
		{"GET", "/v1/assignments?conflicts=maybe", "", "", "", 400, "invalid", `conflicts="maybe" is not a flag: want 1 or 0`},
		{"GET", "/v1/assignments?protocol=xyz", "", "", "", 400, "invalid", `protocol="xyz" is not one of tcp, udp, sctp, dccp`},
		// Bodies that are not a JSON object, or not JSON at all.
		{"POST", "/v1/leases", adminToken, "", "not json", 400, "invalid", `request body is not valid JSON at byte 2 ("not json"): want a JSON object such as {"count":1`},
		{"POST", "/v1/leases", adminToken, "application/x-www-form-urlencoded", "count=3", 400, "invalid", "and was sent as a form: want a JSON object"},
		{"POST", "/v1/leases", adminToken, "", "null", 400, "invalid", "request body is null: want a JSON object"},
		{"POST", "/v1/leases", adminToken, "", "[]", 400, "invalid", "request body is an array: want a JSON object"},
		{"POST", "/v1/assignments", adminToken, "", `{"port":7002,"protocol":"tcp"`, 400, "invalid", `request body ends inside its JSON object: want a complete object such as {"port":5432`},
		{"POST", "/v1/assignments", adminToken, "", `{"port":7002,"bogus":1}`, 400, "invalid", `request body has unknown field "bogus": want only port, protocol, name, owner, note, hosts, scope, force`},
		{"POST", "/v1/assignments", adminToken, "", `{"port":7002,"protocol":5,"name":"x"}`, 400, "invalid", `field "protocol" is a number: want one of tcp, udp, sctp, dccp`},
		{"POST", "/v1/leases", adminToken, "", `{"count":1.5}`, 400, "invalid", `field "count" is 1.5: want a whole number 1-1000`},
		{"POST", "/v1/leases", adminToken, "", `{"label":5}`, 400, "invalid", `field "label" is a number: want a string`},
		{"POST", "/v1/leases", adminToken, "text/plain", `{"count":1}`, 415, "unsupported_media_type", `request body is declared as "text/plain": want Content-Type: application/json`},
		// Field values.
		{"POST", "/v1/leases", adminToken, "", `{"count":0}`, 400, "invalid", "count 0 is out of range: want 1-1000"},
		{"POST", "/v1/leases", adminToken, "", `{"ttl":-5}`, 400, "invalid", "ttl -5 is negative"},
		{"POST", "/v1/leases", adminToken, "", `{"ttl":"9999999h"}`, 400, "invalid", `ttl "9999999h" is over the maximum of 1e9 seconds`},
		{"POST", "/v1/leases", adminToken, "", `{"ttl":1e10}`, 400, "invalid", "ttl 1e10 is over the maximum of 1e9 seconds"},
		// Tokens: the scheme is case-insensitive, an empty one is named.
		{"POST", "/v1/leases", "", "", `{}`, 401, "unauthorized", "needs an admin bearer token"},
	} {
		req, _ := http.NewRequest(tc.method, e.url+tc.path, strings.NewReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		code, msg := errorOf(m)
		if resp.StatusCode != tc.status || code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s %.60s %.40q = %d %s %q; want %d %s containing %q", tc.method, tc.path, tc.body, resp.StatusCode, code, msg, tc.status, tc.code, tc.msg)
		}
		if len(msg) > 300 {
			t.Errorf("%s %.60s: message is %d bytes long", tc.method, tc.path, len(msg))
		}
		if tc.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
	}
	for _, h := range []string{"bearer " + adminToken, "BEARER " + adminToken} {
		req, _ := http.NewRequest("POST", e.url+"/v1/leases", strings.NewReader(`{"count":1}`))
		req.Header.Set("Authorization", h)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
			t.Errorf("POST with Authorization %.7s... = %v, %v; want 201", h, resp.StatusCode, err)
		}
	}
	if st, m, _ := call(t, "POST", e.url+"/v1/leases", " ", `{}`); st != 401 || !strings.Contains(fmt.Sprint(m), "has no token after Bearer") {
		t.Errorf("POST with an empty bearer token = %d %v", st, m)
	}
	// ?conflicts=0 means no, and a null ttl means none.
	if st, body := get(t, e.url+"/v1/assignments?conflicts=0"); st != 200 || body != "[]\n" {
		t.Errorf("GET /v1/assignments?conflicts=0 = %d %s", st, body)
	}
	if st, _, _ := call(t, "POST", e.url+"/v1/leases", adminToken, `{"ttl":null}`); st != 201 {
		t.Errorf(`POST {"ttl":null} = %d, want 201`, st)
	}
}

// A client that announces more body than it sends is told so when the
// read deadline passes, instead of an internal error from a cancelled grant.
func TestShortBody(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) { c.Timeouts.Read = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"count":1}`
	fmt.Fprintf(conn, "POST /v1/leases HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Length: 100\r\n\r\n%s", adminToken, body)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(conn)
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 400")) || !bytes.Contains(b, []byte("request body stopped after 11 of the 100 bytes its Content-Length announced")) {
		t.Fatalf("short body answered %q", b)
	}
	// A Content-Length over the cap is refused before anything is read.
	req, _ := http.NewRequest("POST", e.url+"/v1/leases", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.ContentLength = 2 << 20
	req.Body = io.NopCloser(io.MultiReader(strings.NewReader("{}"), strings.NewReader(strings.Repeat(" ", 2<<20-2))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("2 MiB body = %d, want 413", resp.StatusCode)
	}
}
