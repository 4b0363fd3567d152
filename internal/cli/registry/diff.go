package registry

import (
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/registry/iana"
	"github.com/spf13/cobra"
)

// DiffOptions configure `registry diff`.
type DiffOptions struct {
	IO       *iostreams.IOStreams
	Old, New string
	JSON     bool
}

func newCmdDiff(f *cmdutil.Factory) *cobra.Command {
	opts := &DiffOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Added, removed and changed records between two IANA releases (XML or CSV)",
		Long: `diff compares two releases of IANA's registry, each an XML or CSV file. A record is
identified by its name, protocol and number; one in NEW only is added, in OLD only
removed, in both with any field changed is changed (the fields are listed).
Exit 0 whether or not they differ; 2 when a file is unreadable or invalid.`,
		Example: "  portolan registry diff service-names-port-numbers-2025-08-26.xml service-names-port-numbers.xml",
		Args:    cmdutil.ExactArgs(2, "two files, OLD and NEW"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			return RunDiff(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// RunDiff compares the files and prints the delta.
func RunDiff(o *DiffOptions) error {
	a, err := parseFile(o.Old)
	if err != nil {
		return err
	}
	b, err := parseFile(o.New)
	if err != nil {
		return err
	}
	d := iana.Diff(a, b)
	if d.Added == nil {
		d.Added = []portolan.Service{}
	}
	if d.Removed == nil {
		d.Removed = []portolan.Service{}
	}
	if d.Changed == nil {
		d.Changed = []iana.Change{}
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, d)
	}
	io := o.IO
	tty := io.IsStdoutTTY()
	if tty {
		fmt.Fprintf(io.Out, "%s (%s) → %s (%s): %d added, %d removed, %d changed\n",
			o.Old, d.OldUpdated, o.New, d.NewUpdated, len(d.Added), len(d.Removed), len(d.Changed))
		if len(d.Added)+len(d.Removed)+len(d.Changed) == 0 {
			return nil
		}
		fmt.Fprintln(io.Out)
	}
	// Piped rows: "added|removed NAME PROTO PORTS STATUS DESCRIPTION" and
	// "changed NAME PROTO PORTS FIELDS".
	t := tableprinter.New(io, "change", "name", "proto", "ports", "status / fields", "description")
	row := func(kind string, s portolan.Service, what string) {
		if tty {
			switch kind {
			case "added":
				kind = io.Green(kind)
			case "removed":
				kind = io.Red(kind)
			default:
				kind = io.Yellow(kind)
			}
		}
		d, _, _ := strings.Cut(s.Description, "\n")
		t.AddRow(kind, s.Name, cmdutil.ProtoText(s.Proto), cmdutil.PortsText(s), what, d)
	}
	for _, s := range d.Added {
		row("added", s, cmdutil.StatusText(s))
	}
	for _, s := range d.Removed {
		row("removed", s, cmdutil.StatusText(s))
	}
	for _, c := range d.Changed {
		row("changed", c.New, strings.Join(c.Fields, ","))
	}
	return t.Render()
}
