// Package completion is `portolan completion bash|zsh|fish`.
package completion

import (
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// NewCmdCompletion returns the completion command.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print the shell completion script for bash, zsh or fish",
		Long: `completion prints a script that teaches your shell portolan's verbs and flags.

  bash:  source <(portolan completion bash)
  zsh:   portolan completion zsh > "${fpath[1]}/_portolan"
  fish:  portolan completion fish > ~/.config/fish/completions/portolan.fish`,
		ValidArgs:             []string{"bash", "zsh", "fish"},
		DisableFlagsInUseLine: true,
		Args:                  cmdutil.ExactArgs(1, "one shell: bash, zsh or fish"),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := f.IOStreams.Out
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return cmdutil.FlagErrorf("shell %q is not one of bash, zsh, fish", args[0])
		},
	}
}
