// Package export is `portolan export`: the whole registry as an
// /etc/services file, JSON, or IANA's CSV.
package export

import (
	"bufio"

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
	Format   string
}

// Document is the JSON export.
type Document struct {
	Updated    string               `json:"updated"` // the registry release date
	Source     string               `json:"source"`
	Records    []portolan.Service   `json:"records"`     // IANA's records in IANA's order
	CommonUses []portolan.CommonUse `json:"common_uses"` // the curated layer, never IANA's
}

// NewCmdExport returns the export command.
func NewCmdExport(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Registry: f.Registry}
	cmd := &cobra.Command{
		Use:   "export --format services|json|csv",
		Short: "Write the whole registry as /etc/services, JSON or IANA's CSV",
		Long: `export writes the registry in use to stdout.

  services  an /etc/services file for glibc and getent: "name port/protocol aliases...",
            one line per assigned port and protocol, the primary name first and the
            other names on that port after it; ranges are left out (no syntax for them)
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
	w := bufio.NewWriterSize(o.IO.Out, 64*1024)
	switch o.Format {
	case "services":
		err = iana.WriteServices(w, d.Records, d.Updated)
	case "csv":
		err = iana.WriteCSV(w, d.Records, d.RangeForm)
	case "json":
		ios := *o.IO
		ios.Out = w
		err = cmdutil.WriteJSON(&ios, Document{Updated: d.Updated, Source: d.Source, Records: d.Records, CommonUses: registry.AllCommonUses()})
	}
	if err != nil {
		return err
	}
	return w.Flush()
}
