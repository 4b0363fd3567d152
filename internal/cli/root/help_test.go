package root

import (
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
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
