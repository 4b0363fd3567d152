package export_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/assignment"
	"github.com/portolan-dev/portolan/internal/cli/export"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/memstore"
	"github.com/portolan-dev/portolan/registry"
)

// The organisation's assignments go into the services file ahead of IANA's
// lines, so one /etc/services serves every host.
func TestExportIncludesAssignments(t *testing.T) {
	store := memstore.New()
	svc := assignment.New(store, nil, portolan.Range{}, 1024)
	// Stored directly: assign refuses a tab now, but a store written by an
	// older portolan may hold one, and the export must not break a line on it.
	a := &portolan.Assignment{Port: 7001, Proto: portolan.TCP, Name: "billing", Owner: "payments", Note: "primary\tAPI"}
	if err := store.CreateAssignment(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"services", "json"} {
		ios, _, out, _ := iostreams.Test()
		err := export.Run(&export.Options{IO: ios, Format: format, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil },
			Assignments: func() (portolan.AssignmentService, error) { return svc, nil }})
		if err != nil {
			t.Fatal(err)
		}
		switch format {
		case "services":
			i := strings.Index(out.String(), "billing\t7001/tcp\t# payments primary API\n")
			j := strings.Index(out.String(), "\nhttp")
			if i < 0 || j < i {
				t.Errorf("services: the assignment line is missing or after IANA's: %.300q", out.String())
			}
		case "json":
			var d export.Document
			if err := json.Unmarshal(out.Bytes(), &d); err != nil || len(d.Assignments) != 1 || d.Assignments[0].Name != "billing" {
				t.Errorf("json assignments = %+v, %v", d.Assignments, err)
			}
		}
	}
}
