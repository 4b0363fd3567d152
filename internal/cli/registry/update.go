package registry

import (
	"fmt"
	"os"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	reg "github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/registry/iana"
	"github.com/spf13/cobra"
)

// UpdateOptions configure `registry update`.
type UpdateOptions struct {
	IO    *iostreams.IOStreams
	From  string
	Force bool // install a release with more than reg.MaxRecordDrop fewer records
	JSON  bool
}

// Update is the --json document of `registry update`.
type Update struct {
	Path         string `json:"path"`    // where the snapshot was written
	Updated      string `json:"updated"` // the release date read from the file
	Records      int    `json:"records"`
	InUse        bool   `json:"in_use"` // always true since only a newer release is installed; kept for old readers
	InUseUpdated string `json:"in_use_updated"`
	Replaced     string `json:"replaced"` // the date of the release it replaced in use
}

func newCmdUpdate(f *cmdutil.Factory) *cobra.Command {
	opts := &UpdateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "update --from FILE",
		Short: "Validate IANA's XML or CSV and install it as this user's snapshot",
		Long: `update reads IANA's service-names-port-numbers.xml or .csv (gzip-compressed or not, at
most 64 MiB), validates every record, and stores it as a snapshot in
$XDG_DATA_HOME/portolan (~/.local/share/portolan), written atomically.

The file must be a whole release: the XML with its <updated> date and <people>
section, the CSV with every row complete and a final line break, records for
every port 0-49151, and about as many tcp as udp records. It must be newer than
the release in use (the newest valid release always wins, so an older or equal
one is refused with both dates; --force does not change that), and it may not
hold more than 2% fewer records than the release in use unless --force is given.
A refused file changes nothing, and exits 2 with one line saying why.`,
		Example: "  curl -O https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.xml\n  portolan registry update --from service-names-port-numbers.xml",
		Args:    cmdutil.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return RunUpdate(opts) },
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "IANA XML or CSV file to install (required)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "install a release with more than 2% fewer records than the one in use")
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
	was := reg.Newest()
	path, err := reg.Install(d, o.Force)
	if err != nil {
		return portolan.Errorf(portolan.ErrorCode(err), "%s: %s", o.From, portolan.ErrorMessage(err))
	}
	now := reg.Newest()
	u := Update{Path: path, Updated: d.Updated, Records: len(d.Records), InUse: now.Path() == path,
		InUseUpdated: now.Updated(), Replaced: was.Updated()}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, u)
	}
	fmt.Fprintf(o.IO.Out, "installed %s: IANA registry of %s, %d records, at %s (replaces the release of %s)\n", o.From, u.Updated, u.Records, u.Path, u.Replaced)
	return nil
}
