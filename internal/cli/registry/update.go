package registry

import (
	"fmt"
	"os"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	reg "github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/registry/iana"
	"github.com/spf13/cobra"
)

// UpdateOptions configure `registry update`.
type UpdateOptions struct {
	IO   *iostreams.IOStreams
	From string
	JSON bool
}

// Update is the --json document of `registry update`.
type Update struct {
	Path         string `json:"path"`    // where the snapshot was written
	Updated      string `json:"updated"` // the release date read from the file
	Records      int    `json:"records"`
	InUse        bool   `json:"in_use"` // false when the embedded snapshot is newer and stays in use
	InUseUpdated string `json:"in_use_updated"`
}

func newCmdUpdate(f *cmdutil.Factory) *cobra.Command {
	opts := &UpdateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "update --from FILE",
		Short: "Validate IANA's XML or CSV and install it as this user's snapshot",
		Long: `update reads IANA's service-names-port-numbers.xml or .csv, validates every record,
and stores it as a snapshot in $XDG_DATA_HOME/portolan (~/.local/share/portolan),
written atomically. A bad file is refused with the line or element at fault and
the snapshot in use stays. The newest valid snapshot wins: when the embedded one
is newer than the file, it stays in use.`,
		Example: "  curl -O https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.xml\n  portolan registry update --from service-names-port-numbers.xml",
		Args:    cmdutil.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return RunUpdate(opts) },
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "IANA XML or CSV file to install (required)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// parseFile is iana.ParseFile, which reads a directory as an empty file
// ("line 1: empty file"): say it is a directory.
func parseFile(path string) (*iana.Data, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, cmdutil.FlagErrorf("%s is a directory: want IANA's service-names-port-numbers.xml or .csv", path)
	}
	return iana.ParseFile(path)
}

// RunUpdate validates and installs the file.
func RunUpdate(o *UpdateOptions) error {
	if o.From == "" {
		return cmdutil.FlagErrorf("registry update needs --from FILE: IANA's service-names-port-numbers.xml or .csv")
	}
	d, err := parseFile(o.From)
	if err != nil {
		return err // EINVALID naming the file and the line at fault
	}
	path, err := reg.Install(d)
	if err != nil {
		return err
	}
	now := reg.Newest()
	u := Update{Path: path, Updated: d.Updated, Records: len(d.Records), InUse: now.Path() == path, InUseUpdated: now.Updated()}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, u)
	}
	fmt.Fprintf(o.IO.Out, "installed %s: IANA registry of %s, %d records, at %s\n", o.From, u.Updated, u.Records, u.Path)
	if !u.InUse {
		fmt.Fprintf(o.IO.Out, "the embedded snapshot of %s is newer and stays in use\n", u.InUseUpdated)
	}
	return nil
}
