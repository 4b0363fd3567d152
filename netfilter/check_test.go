package netfilter

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
)

// want is a verdict a ruleset must give a new connection.
type want struct {
	proto  portolan.Proto
	port   portolan.Port
	family int
	v      Verdict
	rule   string // a part of the rule's text
}

func check(t *testing.T, rs *Ruleset, ws []want) {
	t.Helper()
	for _, w := range ws {
		got := rs.Check(w.proto, w.port, w.family)
		if got.Verdict != w.v || !strings.Contains(got.Rule, w.rule) {
			t.Errorf("Check(%s, %d, v%d) = %+v; want %s with rule containing %q", w.proto, w.port, w.family, got, w.v, w.rule)
		}
	}
}
