package portolan

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A lease on both protocols is "both" on the wire, the word requests use,
// and reads back as ProtoAny; tcp and udp stay as they are.
func TestLeaseJSONProtocol(t *testing.T) {
	for _, p := range []Proto{ProtoAny, TCP, UDP} {
		in := Lease{ID: 7, Port: 23000, Proto: p, PID: 42, Label: "ci", Created: time.Unix(1700000000, 0).UTC()}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		want := `"protocol":"` + map[Proto]string{ProtoAny: "both", TCP: "tcp", UDP: "udp"}[p] + `"`
		if !strings.Contains(string(b), want) || strings.Count(string(b), `"protocol"`) != 1 {
			t.Errorf("%v: %s, want one %s", p, b, want)
		}
		var out Lease
		if err := json.Unmarshal(b, &out); err != nil || out != in {
			t.Errorf("%v: round trip %+v, %v; want %+v", p, out, err, in)
		}
	}
	var l Lease
	if err := json.Unmarshal([]byte(`{"port":1,"protocol":""}`), &l); err != nil || l.Proto != ProtoAny {
		t.Errorf(`protocol "": %v %v`, l.Proto, err)
	}
	if err := json.Unmarshal([]byte(`{"port":1,"protocol":"xtp"}`), &l); err == nil {
		t.Error(`protocol "xtp" accepted`)
	}
}
