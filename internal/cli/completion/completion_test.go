package completion

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_portolan", "zsh": "#compdef portolan", "fish": "complete -c portolan"} {
		ios, _, out, _ := iostreams.Test()
		root := &cobra.Command{Use: "portolan", SilenceErrors: true, SilenceUsage: true}
		root.AddCommand(NewCmdCompletion(&cmdutil.Factory{IOStreams: ios}))
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("%s: %v, output lacks %q", shell, err, want)
		}
	}
	ios, _, _, _ := iostreams.Test()
	root := &cobra.Command{Use: "portolan", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(NewCmdCompletion(&cmdutil.Factory{IOStreams: ios}))
	root.SetArgs([]string{"completion", "tcsh"})
	if err := root.Execute(); cmdutil.ExitCode(err) != 2 {
		t.Errorf("tcsh: %v", err)
	}
}
