// Package registry is `portolan registry info|update|diff`: which IANA
// snapshot is in use, installing a newer release, and comparing releases.
package registry

import (
	"fmt"
	"sort"
	"strings"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	reg "github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/registry/iana"
	"github.com/spf13/cobra"
)

// NewCmdRegistry returns the registry command and its subcommands.
func NewCmdRegistry(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry info | update --from FILE | diff OLD NEW",
		Short: "The IANA snapshot in use: show it, install a newer release, compare releases",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.FlagErrorf("%s needs a subcommand: info, update --from FILE, or diff OLD NEW", cmd.CommandPath())
		},
	}
	cmd.AddCommand(newCmdInfo(f), newCmdUpdate(f), newCmdDiff(f))
	return cmd
}

// InfoOptions configure `registry info`.
type InfoOptions struct {
	IO       *iostreams.IOStreams
	Registry func() (*reg.Registry, error)
	JSON     bool
}

// Info is the --json document of `registry info`.
type Info struct {
	Updated    string     `json:"updated"` // the release date of the snapshot in use
	Source     string     `json:"source"`  // the file it was generated from
	Path       string     `json:"path"`    // the user snapshot file, or "" when embedded
	Embedded   bool       `json:"embedded"`
	Stats      iana.Stats `json:"stats"`
	CommonUses int        `json:"common_uses"`
	// PassedOver says why the user's snapshot (from `registry update`)
	// is not in use, when there is one: damaged, from an older portolan's
	// format (both also warned about on stderr), or no newer than the
	// embedded release (after a portolan upgrade: not a fault).
	PassedOver string `json:"passed_over,omitempty"`
}

func newCmdInfo(f *cmdutil.Factory) *cobra.Command {
	opts := &InfoOptions{IO: f.IOStreams, Registry: f.Registry}
	cmd := &cobra.Command{
		Use:   "info",
		Short: "The snapshot in use: its date, where it comes from, and its counts",
		Args:  cmdutil.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return RunInfo(opts) },
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// RunInfo prints the snapshot's facts.
func RunInfo(o *InfoOptions) error {
	r, err := o.Registry()
	if err != nil {
		return err
	}
	in := Info{Updated: r.Updated(), Source: r.Source(), Path: r.Path(), Embedded: r.Path() == "",
		Stats: iana.Count(r.Data()), CommonUses: len(reg.AllCommonUses())}
	var damaged bool
	in.PassedOver, damaged = reg.PassedOver(r)
	if damaged { // an older valid release, passed over by the newest-wins rule, needs no warning
		fmt.Fprintf(o.IO.ErrOut, "portolan: passed over the installed snapshot: %s; run 'portolan registry update --from FILE' to install a release again\n", in.PassedOver)
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, in)
	}
	where := "embedded in the binary"
	if !in.Embedded {
		where = in.Path
	}
	st := in.Stats
	rows := [][2]string{
		{"updated", in.Updated}, {"source", in.Source}, {"snapshot", where},
		{"records", fmt.Sprint(st.Records)},
		{"by protocol", counts(st.ByProto, []string{"tcp", "udp", "sctp", "dccp", ""})},
		{"by status", counts(st.ByStatus, []string{"assigned", "alias", "historic", "name-only", "reserved", "unassigned", "removed"})},
		{"ranges", fmt.Sprint(st.Ranges)}, {"without number", fmt.Sprint(st.WithoutNumber)},
		{"names", fmt.Sprint(st.Names)}, {"ports with several names", fmt.Sprint(st.MultiNamePairs)},
		{"names on several ports", fmt.Sprint(st.MultiPortNames)}, {"mixed-case names", fmt.Sprint(st.MixedCaseNames)},
		{"unauthorized-use reports", fmt.Sprint(st.Unauthorized)}, {"people", fmt.Sprint(st.People)},
		{"common uses (curated)", fmt.Sprint(in.CommonUses)},
	}
	t := tableprinter.New(o.IO)
	for _, row := range rows {
		k := row[0]
		if !o.IO.IsStdoutTTY() {
			k = strings.ReplaceAll(k, " ", "_")
		}
		t.AddRow(k, row[1])
	}
	return t.Render()
}

// counts renders a map in the given key order, then any other keys.
func counts(m map[string]int, order []string) string {
	var parts []string
	done := map[string]bool{}
	add := func(k string) {
		if n, ok := m[k]; ok && !done[k] {
			done[k] = true
			name := k
			if name == "" {
				name = "none"
			}
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	for _, k := range order {
		add(k)
	}
	var rest []string
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return strings.Join(parts, ", ")
}
