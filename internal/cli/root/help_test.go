package root

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every verb is listed under its pillar in the root help, and the help
// names the environment variables and exit codes.
func TestEveryVerbHasAPillar(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	cmd := NewCmdRoot(&cmdutil.Factory{IOStreams: ios})
	for _, c := range cmd.Commands() {
		if c.GroupID == "" && c.Name() != "help" {
			t.Errorf("verb %q has no pillar: add it to pillars in help.go", c.Name())
		}
	}
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	for _, want := range []string{"Know: ", "See: ", "Allocate: ", "Serve: ", "PORTOLAN_ADDR", "PORTOLAN_STORE", "NO_COLOR", "Exit codes:", "124", "130"} {
		if !strings.Contains(help, want) {
			t.Errorf("portolan --help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "Additional Commands") {
		t.Errorf("portolan --help has verbs outside the pillars:\n%s", help)
	}
}

func TestBuildVersion(t *testing.T) {
	if got := buildVersion("v1.2.3"); got != "v1.2.3" {
		t.Errorf("a stamped version is printed as is: got %q", got)
	}
	// A test binary has build info but no VCS stamp: it is "dev", or the
	// toolchain's "dev+REVISION..." when the test was built with VCS info.
	if got := buildVersion("dev"); got != "dev" && !strings.HasPrefix(got, "dev+") && !strings.HasPrefix(got, "v") {
		t.Errorf("buildVersion(dev) = %q", got)
	}
}

// A flag that takes no value shows no placeholder in help: pflag takes a
// `quoted` word of the usage as the value's name, so "as `portolan agent`
// would" printed "--report-self portolan agent" as if it took one.
func TestBoolFlagsShowNoValue(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.NoOptDefVal == "" {
				return
			}
			if name, _ := pflag.UnquoteUsage(f); name != "" {
				t.Errorf("%s --%s takes no value, but its help shows %q as one: drop the backquotes in %q", c.CommandPath(), f.Name, name, f.Usage)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewCmdRoot(&cmdutil.Factory{IOStreams: ios}))
}
