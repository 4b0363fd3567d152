package query_test

import (
	"context"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/query"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/registry"
)

// portolan 443 (three IANA records with assignees and references) and the
// README's portolan 1433 fit an 80-column terminal: the IANA table's
// description, assignee and references give way instead of every row
// wrapping. (Indented lines are prose, not tables.)
func TestLookupTablesFitEightyColumns(t *testing.T) {
	for _, q := range []string{"443", "1433", "18555", "3000"} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		ios.SetTerminalWidth(80)
		o := &query.Options{IO: ios, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil }, Queries: []string{q}}
		if err := query.Run(context.Background(), o); err != nil {
			t.Fatalf("portolan %s: %v", q, err)
		}
		for _, l := range strings.Split(out.String(), "\n") {
			if w := tableprinter.Width(l); w > 80 && !strings.HasPrefix(l, "  ") {
				t.Errorf("portolan %s: table line %q is %d cells wide, want at most 80", q, l, w)
			}
		}
	}
}
