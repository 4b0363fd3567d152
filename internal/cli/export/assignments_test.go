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
	"github.com/portolan-dev/portolan/registry/iana"
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
			es, err := iana.ParseServices(strings.NewReader(out.String()))
			if err != nil || len(es) < 2 || es[0].Name != "billing" || es[0].Port != 7001 || es[0].Proto != "tcp" || es[0].Comment != "payments primary API" {
				t.Errorf("services: the assignment line is missing or not first: %.600q", out.String())
			}
		case "json":
			var d export.Document
			if err := json.Unmarshal(out.Bytes(), &d); err != nil || len(d.Assignments) != 1 || d.Assignments[0].Name != "billing" {
				t.Errorf("json assignments = %+v, %v", d.Assignments, err)
			}
		}
	}
}
