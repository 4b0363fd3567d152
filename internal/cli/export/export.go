// Package export is `portolan export`: the whole registry as an
// /etc/services file, JSON, or IANA's CSV.
package export

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/registry/iana"
	"github.com/spf13/cobra"
)

// Options configure an export.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	// Assignments, when set, adds the organisation's assignments (before
	// IANA's lines in services, so their names win port lookups).
	Assignments func() (portolan.AssignmentService, error)
	Format      string
}

// Document is the JSON export.
type Document struct {
	Updated    string               `json:"updated"` // the registry release date
	Source     string               `json:"source"`
	Records    []portolan.Service   `json:"records"`     // IANA's records in IANA's order
	CommonUses []portolan.CommonUse `json:"common_uses"` // the curated layer, never IANA's
	// Assignments are the organisation's own (portolan assign), never IANA's.
	Assignments []portolan.Assignment `json:"assignments,omitempty"`
}

// NewCmdExport returns the export command.
func NewCmdExport(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Registry: f.Registry, Assignments: f.Assignments}
	cmd := &cobra.Command{
		Use:   "export --format services|json|csv",
		Short: "Write the whole registry as /etc/services, JSON or IANA's CSV",
		Long: `export writes the registry in use to stdout.

  services  an /etc/services file: Debian's netbase file first, as it is, so every name
            and port it has resolves as there (2049/tcp is nfs, http-alt is 8080), then
            IANA's other names, "name port/protocol aliases...", each name on one port
            only (a range's name on its first port), so that glibc (first line wins)
            and Go's net.LookupPort (last line wins) give the same answers; the
            organisation's assignments, if any, come before netbase's lines and win
  json      {"updated","source","records":[...],"common_uses":[...]}, records as in
            the query --json schema
  csv       IANA's own CSV layout, which "portolan registry update --from" reads back`,
		Example: "  portolan export --format services > services\n  portolan export --format csv > ports.csv",
		Args:    cmdutil.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return Run(opts) },
	}
	cmd.Flags().StringVar(&opts.Format, "format", "services", "services, json or csv")
	return cmd
}

// Run writes the export.
func Run(o *Options) error {
	switch o.Format {
	case "services", "json", "csv":
	default:
		return cmdutil.FlagErrorf("--format %q is not one of services, json, csv", o.Format)
	}
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	d := reg.Data()
	as := o.assignments()
	w := bufio.NewWriterSize(o.IO.Out, 64*1024)
	switch o.Format {
	case "services":
		err = iana.WriteServices(w, d.Records, d.Updated, assignmentLines(as))
	case "csv":
		err = iana.WriteCSV(w, d.Records, d.RangeForm)
	case "json":
		ios := *o.IO
		ios.Out = w
		err = cmdutil.WriteJSON(&ios, Document{Updated: d.Updated, Source: d.Source, Records: d.Records, CommonUses: registry.AllCommonUses(), Assignments: as})
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// assignments lists the organisation's assignments; a store that cannot be
// read costs a warning, not the export.
func (o *Options) assignments() []portolan.Assignment {
	if o.Assignments == nil || o.Format == "csv" {
		return nil
	}
	svc, err := o.Assignments()
	if err == nil {
		var as []portolan.Assignment
		if as, err = svc.Assignments(context.Background(), portolan.AssignmentFilter{}); err == nil {
			return as
		}
	}
	fmt.Fprintf(o.IO.ErrOut, "portolan: warning: assignments left out: %s\n", cmdutil.Message(err))
	return nil
}

// assignmentLines turns the assignments into the /etc/services lines that
// go first, owner and note as the comment.
func assignmentLines(as []portolan.Assignment) []iana.ServicesEntry {
	var es []iana.ServicesEntry
	for _, a := range as {
		c := strings.TrimSpace(strings.Join(strings.Fields(a.Owner+" "+a.Note), " "))
		es = append(es, iana.ServicesEntry{Name: a.Name, Port: a.Port, Proto: a.Proto.String(), Comment: c})
	}
	return es
}
