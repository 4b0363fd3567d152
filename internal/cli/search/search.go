// Package search is `portolan search WORDS...`: ranked search over IANA's
// names and descriptions, plus the curated common uses.
package search

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// Options configure a search.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	Words    []string
	Limit    int
	JSON     bool
}

// Result is the --json document.
type Result struct {
	Query      string               `json:"query"`
	Results    []registry.Hit       `json:"results"`     // IANA records, best first, each with its score
	CommonUses []portolan.CommonUse `json:"common_uses"` // curated de-facto uses holding every word
	// Total counts every match, records and common uses; Truncated says
	// --limit left some out.
	Total     int  `json:"total"`
	Truncated bool `json:"truncated"`
}

// NewCmdSearch returns the search command.
func NewCmdSearch(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Registry: f.Registry}
	cmd := &cobra.Command{
		Use:   "search WORDS...",
		Short: "Ranked search over IANA's service names and descriptions, and the common uses",
		Long: `Search finds the records whose name or description holds every word, ignoring case.
An exact name ranks first, then names starting with the first word, names holding a
word, descriptions holding the words as whole words, then inside longer words.
Assigned records rank above reserved and unassigned ones. Exit 1 when nothing matches.`,
		Example: "  portolan search kerberos\n  portolan search secure shell --limit 5",
		Args:    cmdutil.MinimumArgs(1, "at least one word"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Words = args
			return Run(opts)
		},
	}
	cmd.Flags().IntVarP(&opts.Limit, "limit", "n", 50, "show at most N matches, records and common uses together (0: all)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Run searches and prints.
func Run(o *Options) error {
	q := strings.Join(o.Words, " ")
	if strings.TrimSpace(q) == "" {
		return cmdutil.FlagErrorf("empty search: want one or more words, e.g. portolan search kerberos")
	}
	if o.Limit < 0 {
		return cmdutil.FlagErrorf("--limit %d is negative: want 0 (all) or more", o.Limit)
	}
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	res := Result{Query: q, Results: reg.Search(q, 0), CommonUses: []portolan.CommonUse{}}
	if res.Results == nil {
		res.Results = []registry.Hit{}
	}
	if cu := registry.SearchCommonUses(q); cu != nil {
		res.CommonUses = cu
	}
	res.Total = len(res.Results) + len(res.CommonUses)
	if o.Limit > 0 && res.Total > o.Limit {
		// --limit counts every row shown: the ranked records first, then
		// the common uses in what is left.
		res.Truncated = true
		res.Results = res.Results[:min(len(res.Results), o.Limit)]
		res.CommonUses = res.CommonUses[:min(len(res.CommonUses), o.Limit-len(res.Results))]
	}
	if o.JSON {
		if err := cmdutil.WriteJSON(o.IO, res); err != nil {
			return err
		}
	} else if err := render(o.IO, &res); err != nil {
		return err
	}
	if res.Truncated && !o.JSON {
		fmt.Fprintf(o.IO.ErrOut, "portolan: showing %d of %d matches (--limit %d); --limit 0 shows all\n", len(res.Results)+len(res.CommonUses), res.Total, o.Limit)
	}
	if len(res.Results)+len(res.CommonUses) == 0 {
		if !o.JSON {
			fmt.Fprintf(o.IO.ErrOut, "portolan: nothing in IANA's registry (%s) or the common uses matches %q\n", reg.Updated(), q)
		}
		return cmdutil.Exit(cmdutil.ExitNotFound)
	}
	return nil
}

// render prints a table on a terminal; piped, rows are
// "iana NAME PROTO PORTS STATUS DESCRIPTION SCORE" and
// "common NAME PROTO PORTS DESCRIPTION SOURCE".
func render(io *iostreams.IOStreams, r *Result) error {
	if !io.IsStdoutTTY() {
		t := tableprinter.New(io)
		for _, h := range r.Results {
			t.AddRow("iana", h.Name, cmdutil.ProtoText(h.Proto), cmdutil.PortsText(h.Service), cmdutil.StatusText(h.Service), h.Description, strconv.Itoa(h.Score))
		}
		for _, c := range r.CommonUses {
			t.AddRow("common", c.Name, c.Proto.Label(), c.Ports.String(), c.Desc, c.Source)
		}
		return t.Render()
	}
	if len(r.Results) > 0 {
		t := tableprinter.New(io, "name", "proto", "ports", "status", "description")
		for _, h := range r.Results {
			d, _, _ := strings.Cut(h.Description, "\n")
			t.AddRow(io.Bold(h.Name), cmdutil.ProtoText(h.Proto), cmdutil.PortsText(h.Service), cmdutil.StatusText(h.Service), d)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(r.CommonUses) > 0 {
		fmt.Fprintf(io.Out, "\n%s %s\n", io.Bold("Common use"), io.Dim("(de-facto, not IANA)"))
		t := tableprinter.New(io, "name", "proto", "ports", "description")
		for _, c := range r.CommonUses {
			t.AddRow(c.Name, c.Proto.Label(), c.Ports.String(), c.Desc)
		}
		return t.Render()
	}
	return nil
}
