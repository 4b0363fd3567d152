package http_test

import (
	"net/url"
	"testing"

	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/storetest"
)

// PUT /v1/names picks a name's port once (201) and returns it after (200);
// GET lists them; DELETE forgets; writes need the admin token, bad names
// and bodies get 400.
func TestNamesAPI(t *testing.T) {
	store := storetest.SQLite(t)
	a := lease.New(store, lease.Options{HostID: "h"})
	e := newEnv(t, store, func(c *porthttp.Config) { c.Names = a })
	body := `{"project":"/src/shop","worktree":"/src/shop-feat","name":"web"}`
	if code, _, _ := call(t, "PUT", e.url+"/v1/names", "", body); code != 401 {
		t.Errorf("PUT without a token: %d, want 401", code)
	}
	if code, _, _ := call(t, "PUT", e.url+"/v1/names", readToken, body); code != 403 {
		t.Errorf("PUT with a read token: %d, want 403", code)
	}
	code, first, _ := call(t, "PUT", e.url+"/v1/names", adminToken, body)
	if code != 201 || first["new"] != true || first["port"] == nil || first["protocol"] != "both" {
		t.Fatalf("first PUT: %d %v; want 201 with a new port", code, first)
	}
	code, again, _ := call(t, "PUT", e.url+"/v1/names", adminToken, body)
	if code != 200 || again["new"] != false || again["port"] != first["port"] {
		t.Fatalf("second PUT: %d %v; want 200 with port %v", code, again, first["port"])
	}
	for _, bad := range []string{`{"project":"/p","worktree":"/w","name":"a b"}`, `{"project":"","worktree":"/w","name":"web"}`,
		`{"project":"/p","worktree":"/w","name":"web","prefer":70000}`, `{"project":"/p","worktree":"/w","name":"web","protocol":"sctp"}`,
		`{"project":"/p\u0000","worktree":"/w","name":"web"}`, `{"name":"web","color":"red"}`} {
		if code, resp, _ := call(t, "PUT", e.url+"/v1/names", adminToken, bad); code != 400 {
			t.Errorf("PUT %s: %d %v, want 400", bad, code, resp)
		}
	}
	if got := porthttptest.Get(t, e.url+"/v1/names", ""); got == "[]\n" || got == "" {
		t.Errorf("GET /v1/names = %q, want the named port", got)
	}
	del := e.url + "/v1/names?" + url.Values{"project": {"/src/shop"}, "worktree": {"/src/shop-feat"}, "name": {"web"}}.Encode()
	if code, _, _ := call(t, "DELETE", del, adminToken, ""); code != 204 {
		t.Errorf("DELETE: %d, want 204", code)
	}
	if code, _, _ := call(t, "DELETE", del, adminToken, ""); code != 404 {
		t.Errorf("DELETE again: %d, want 404", code)
	}
}
