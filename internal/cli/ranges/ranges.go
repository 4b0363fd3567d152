// Package ranges is `portolan ranges`: the RFC 6335 classes, this host's
// ephemeral, reserved and unprivileged ranges, and where they overlap.
package ranges

import (
	"fmt"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/tableprinter"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// Options configure the command.
type Options struct {
	IO       *iostreams.IOStreams
	Registry func() (*registry.Registry, error)
	Host     func() (portolan.HostRanges, error)
	JSON     bool
}

// Result is the --json document, the same as GET /v1/ranges (schema in
// docs/know.md).
type Result = portolan.RangesReport

// NewCmdRanges returns the ranges command.
func NewCmdRanges(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Registry: f.Registry, Host: f.HostRanges}
	cmd := &cobra.Command{
		Use:   "ranges",
		Short: "The RFC 6335 classes and this host's ephemeral, reserved and unprivileged ranges",
		Long: `ranges shows the three RFC 6335 classes, this host's ephemeral range (where the kernel
picks ports for outgoing connections), the ports reserved from automatic assignment,
where binding stops needing privilege, and how many IANA-assigned User ports lie inside
the ephemeral range. On Linux the values come from /proc/sys/net/ipv4 (per network
namespace); elsewhere they are the documented defaults, and the output says so.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return Run(opts) },
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Compute gathers the result.
func Compute(reg *registry.Registry, h portolan.HostRanges) Result {
	return portolan.Ranges(h, reg.Assigned)
}

// Run prints the ranges.
func Run(o *Options) error {
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	h, err := o.Host()
	if err != nil {
		return err
	}
	res := Compute(reg, h)
	if o.JSON {
		return cmdutil.WriteJSON(o.IO, res)
	}
	io := o.IO
	var reserved []string
	for _, r := range h.Reserved {
		reserved = append(reserved, r.String())
	}
	if !io.IsStdoutTTY() {
		// Stable rows: "class NAME LO-HI NAMES", "host KEY VALUE", "overlap CLASS LO-HI ASSIGNED".
		t := tableprinter.New(io)
		for _, c := range res.Classes {
			t.AddRow("class", c.Class.String(), c.Range.String(), strings.Join(c.Names, "/"))
		}
		t.AddRow("host", "ephemeral", h.Ephemeral.String())
		t.AddRow("host", "reserved", strings.Join(reserved, ","))
		t.AddRow("host", "unprivileged_start", h.UnprivilegedStart.String())
		t.AddRow("host", "defaults", fmt.Sprint(h.Defaults))
		t.AddRow("host", "source", h.Source)
		for _, ov := range res.Overlaps {
			t.AddRow("overlap", ov.Class.String(), ov.Range.String(), fmt.Sprint(ov.AssignedUserPorts))
		}
		return t.Render()
	}
	fmt.Fprintln(io.Out, io.Bold("RFC 6335 classes"))
	t := tableprinter.New(io, "class", "ports", "also called")
	for _, c := range res.Classes {
		t.AddRow(c.Class.String(), c.Range.String(), strings.Join(c.Names, ", "))
	}
	if err := t.Render(); err != nil {
		return err
	}
	src := "read from the kernel: " + h.Source
	if h.Defaults {
		src = "documented defaults, not read from this system: " + h.Source
	}
	fmt.Fprintf(io.Out, "\n%s %s\n", io.Bold("This host"), io.Dim("("+src+")"))
	fmt.Fprintf(io.Out, "  ephemeral       %s  (%d ports the kernel picks from for outgoing connections and bind to port 0)\n", h.Ephemeral, h.Ephemeral.Len())
	if len(reserved) == 0 {
		fmt.Fprintf(io.Out, "  reserved        none  (ip_local_reserved_ports: ports kept out of automatic assignment)\n")
	} else {
		fmt.Fprintf(io.Out, "  reserved        %s  (kept out of automatic assignment; an explicit bind still works)\n", strings.Join(reserved, ","))
	}
	fmt.Fprintf(io.Out, "  unprivileged    %d-65535  (below %d, binding needs root or CAP_NET_BIND_SERVICE)\n", h.UnprivilegedStart, h.UnprivilegedStart)
	for _, ov := range res.Overlaps {
		line := fmt.Sprintf("  overlap         ephemeral ∩ %s = %s", ov.Class, ov.Range)
		if ov.Class == portolan.User {
			line += fmt.Sprintf(": %d IANA-assigned User ports a server may find taken by an outgoing connection", ov.AssignedUserPorts)
			line = io.Yellow(line)
		}
		fmt.Fprintln(io.Out, line)
	}
	return nil
}
