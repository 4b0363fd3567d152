package http_test

import (
	"encoding/json"
	"testing"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/http/porthttptest"
	"github.com/portolan-dev/portolan/registry"
)

// GET /v1/search answers the curated common uses beside IANA's records, as
// `portolan search --json` does, so the page finds "remote desktop".
func TestSearchAnswersCommonUses(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) { c.SearchCommon = registry.SearchCommonUses })
	var res porthttp.SearchResult
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/search?q=remote+desktop", "")), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.CommonUses) == 0 || res.CommonUses[0].Name != "rdp" || res.CommonUses[0].Ports != portolan.SinglePort(3389) {
		t.Errorf("common_uses = %+v, want rdp on 3389 first", res.CommonUses)
	}
	var none porthttp.SearchResult
	if err := json.Unmarshal([]byte(porthttptest.Get(t, e.url+"/v1/search?q=zzqx", "")), &none); err != nil || none.CommonUses == nil {
		t.Errorf("no match: common_uses = %v (%v), want [] not null", none.CommonUses, err)
	}
}
