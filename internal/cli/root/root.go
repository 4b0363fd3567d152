// Package root assembles the portolan command tree from the verb packages.
package root

import (
	"errors"
	"fmt"
	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/agent"
	"github.com/portolan-dev/portolan/internal/cli/fleet"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan/internal/cli/assign"
	"github.com/portolan-dev/portolan/internal/cli/assignments"
	"github.com/portolan-dev/portolan/internal/cli/check"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/completion"
	envcmd "github.com/portolan-dev/portolan/internal/cli/env"
	"github.com/portolan-dev/portolan/internal/cli/export"
	"github.com/portolan-dev/portolan/internal/cli/exposure"
	"github.com/portolan-dev/portolan/internal/cli/free"
	"github.com/portolan-dev/portolan/internal/cli/kill"
	leasecmd "github.com/portolan-dev/portolan/internal/cli/lease"
	"github.com/portolan-dev/portolan/internal/cli/leases"
	"github.com/portolan-dev/portolan/internal/cli/ls"
	mcpcmd "github.com/portolan-dev/portolan/internal/cli/mcp"
	portcmd "github.com/portolan-dev/portolan/internal/cli/port"
	"github.com/portolan-dev/portolan/internal/cli/ports"
	"github.com/portolan-dev/portolan/internal/cli/query"
	"github.com/portolan-dev/portolan/internal/cli/ranges"
	registrycmd "github.com/portolan-dev/portolan/internal/cli/registry"
	"github.com/portolan-dev/portolan/internal/cli/release"
	"github.com/portolan-dev/portolan/internal/cli/run"
	"github.com/portolan-dev/portolan/internal/cli/scan"
	"github.com/portolan-dev/portolan/internal/cli/search"
	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/internal/cli/unassign"
	"github.com/portolan-dev/portolan/internal/cli/wait"
	whycmd "github.com/portolan-dev/portolan/internal/cli/why"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NewCmdRoot returns the root command. Run without a verb, it looks up its
// arguments as ports, ranges or names ("portolan 443 https").
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "portolan [QUERY...] | portolan VERB",
		Short: "The port authority: know, see, allocate and serve the 65,536 ports",
		Long: `portolan answers everything about a port number: its RFC 6335 class, every IANA
record, common de-facto uses, this host's ranges and who holds it here; it lists and
kills the holders of ports, checks, waits for and scans ports, hands out free ports
that never collide, and serves it all to a team.`,
		Version:       f.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if c == cmd {
			if qerr := negativeQuery(err); qerr != nil {
				return qerr
			}
		}
		if c.Name() == "kill" && strings.HasPrefix(err.Error(), "unknown shorthand flag: 'n'") {
			// -n is a count in every verb (free, lease, run, search):
			// kill's dry run is spelled out.
			return cmdutil.FlagErrorf("-n is not a flag of portolan kill (-n is a count elsewhere): give --dry-run to see who would be signalled")
		}
		if arg, ok := numericShorthand(err); ok && c.Name() == "kill" {
			// kill(1)'s habit: `portolan kill -9 3000`.
			return cmdutil.FlagErrorf("%s is not a flag of portolan kill: give the signal as --signal %s (or -s %s)", arg, arg[1:], arg[1:])
		}
		return cmdutil.FlagErrorf("%s; see '%s --help'", flagErrorText(err), c.CommandPath())
	})
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	// Verbs are added here, one package each.
	query.Attach(cmd, f, func(o *query.Options) {
		o.Assignments, o.Leases = assignments.QuerySections(f)
		o.Sockets = ls.QuerySockets
		o.Fleet = fleet.QuerySection(f)
	})
	cmdutil.AddServerFlags(cmd, f)
	cmd.AddCommand(search.NewCmdSearch(f))
	cmd.AddCommand(ranges.NewCmdRanges(f))
	cmd.AddCommand(export.NewCmdExport(f))
	cmd.AddCommand(registrycmd.NewCmdRegistry(f))
	cmd.AddCommand(completion.NewCmdCompletion(f))
	cmd.AddCommand(assign.NewCmdAssign(f))
	cmd.AddCommand(assignments.NewCmdAssignments(f))
	cmd.AddCommand(unassign.NewCmdUnassign(f))
	cmd.AddCommand(serve.NewCmdServe(f))
	cmd.AddCommand(ls.NewCmdLs(f))
	cmd.AddCommand(kill.NewCmdKill(f))
	cmd.AddCommand(free.NewCmdFree(f))
	cmd.AddCommand(leasecmd.NewCmdLease(f))
	cmd.AddCommand(release.NewCmdRelease(f))
	cmd.AddCommand(leases.NewCmdLeases(f))
	cmd.AddCommand(run.NewCmdRun(f))
	cmd.AddCommand(check.NewCmdCheck(f))
	cmd.AddCommand(wait.NewCmdWait(f))
	cmd.AddCommand(scan.NewCmdScan(f))
	cmd.AddCommand(portcmd.NewCmdPort(f))
	cmd.AddCommand(ports.NewCmdPorts(f))
	cmd.AddCommand(envcmd.NewCmdEnv(f))
	cmd.AddCommand(mcpcmd.NewCmdMCP(f))
	cmd.AddCommand(whycmd.NewCmdWhy(f, assignments.QuerySections))
	cmd.AddCommand(exposure.NewCmdExposure(f))
	cmd.AddCommand(agent.NewCmdAgent(f))
	cmd.AddCommand(fleet.NewCmdFleet(f))
	groupVerbs(cmd)
	cmd.SetUsageTemplate(cmd.UsageTemplate() + helpFooter)

	cobra.AddTemplateFunc("portolanVersion", func() string { return versionLine(f) })
	cmd.SetVersionTemplate("{{portolanVersion}}\n")
	lookup := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 1 && args[0] == "version" {
			// `portolan version` is --version: no IANA record is named
			// "version", and people type it.
			_, err := fmt.Fprintln(f.IOStreams.Out, versionLine(f))
			return err
		}
		if len(args) > 0 {
			if err := verbTypo(c.Context(), f, cmd, args[0]); err != nil {
				return err
			}
		}
		return lookup(c, args)
	}
	return cmd
}

// negativeQuery returns the lookup's own error for `portolan -80` or
// `portolan -80/udp`, which pflag takes for a cluster of shorthand flags:
// the user typed a port, and "port -80 is out of range 0-65535" says what
// is wrong with it. Nil when err is about anything else.
func negativeQuery(err error) error {
	arg, ok := numericShorthand(err)
	if !ok {
		return nil
	}
	if _, qerr := portolan.ParseQuery(arg); qerr != nil {
		return qerr
	}
	return nil
}

// numericShorthand returns the argument pflag refused as unknown shorthand
// flags when it starts with a dash and a digit ("-80", "-9").
func numericShorthand(err error) (string, bool) {
	msg := err.Error()
	i := strings.LastIndex(msg, " in -")
	if !strings.HasPrefix(msg, "unknown shorthand flag: ") || i < 0 {
		return "", false
	}
	arg := msg[i+len(" in "):]
	return arg, len(arg) >= 2 && '0' <= arg[1] && arg[1] <= '9'
}

// flagErrorText says what a flag's value should look like. pflag's own text
// for a bad value ends in strconv's or time's words ("strconv.ParseInt:
// parsing "abc": invalid syntax", "time: missing unit in duration "5""),
// which name no valid form.
func flagErrorText(err error) string {
	var ve *pflag.InvalidValueError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	name, v := "--"+ve.GetFlag().Name, ve.GetValue()
	if sh := ve.GetFlag().Shorthand; sh != "" {
		name = "-" + sh + "/" + name
	}
	switch t := ve.GetFlag().Value.Type(); {
	case t == "duration":
		return fmt.Sprintf("%s %q is not a duration: want a number with a unit, e.g. 300ms, 5s or 1m30s", name, v)
	case errors.Is(err, strconv.ErrRange):
		return fmt.Sprintf("%s %s is out of range", name, v)
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), t == "count":
		return fmt.Sprintf("%s %q is not a whole number: want e.g. 3", name, v)
	case strings.HasPrefix(t, "float"):
		return fmt.Sprintf("%s %q is not a number: want e.g. 100 or 2.5", name, v)
	case t == "bool":
		return fmt.Sprintf("%s=%q is not true or false: want %s or %s=false", name, v, name, name)
	}
	return err.Error()
}
