package cmdutil

import (
	"github.com/spf13/cobra"
)

// MinimumArgs returns a cobra.PositionalArgs that requires n arguments and
// says what they are (exit 2).
func MinimumArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("%s: missing %s; usage: %s", cmd.CommandPath(), what, cmd.UseLine())
		}
		return nil
	}
}

// ExactArgs returns a cobra.PositionalArgs that requires exactly n arguments.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%s: want %s; usage: %s", cmd.CommandPath(), what, cmd.UseLine())
		}
		return nil
	}
}

// NoArgs rejects positional arguments with exit 2.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("%s takes no arguments, got %q; usage: %s", cmd.CommandPath(), args[0], cmd.UseLine())
	}
	return nil
}
