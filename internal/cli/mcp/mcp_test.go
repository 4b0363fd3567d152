//go:build unix

package mcp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
)

// portolan mcp runs portolan-mcp (here a stand-in on PATH) on its own
// stdio and exits with its status; without one it says how to get it.
func TestRunsTheServerBinary(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\nread line\necho \"server got $line\"\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, Binary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	ios, in, out, _ := iostreams.Test()
	in.WriteString(`{"jsonrpc":"2.0"}` + "\n")
	cmd := NewCmdMCP(&cmdutil.Factory{IOStreams: ios})
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	if got := out.String(); !strings.Contains(got, `server got {"jsonrpc":"2.0"}`) {
		t.Errorf("the server's stdout = %q; want it to have read portolan mcp's stdin", got)
	}
	if cmdutil.ExitCode(err) != 3 {
		t.Errorf("exit %d, want the server's 3", cmdutil.ExitCode(err))
	}

	t.Setenv("PATH", t.TempDir())
	err = NewCmdMCP(&cmdutil.Factory{IOStreams: ios}).RunE(nil, nil)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "go install github.com/portolan-dev/portolan/cmd/portolan-mcp") {
		t.Errorf("without portolan-mcp: exit %d %q", cmdutil.ExitCode(err), cmdutil.Message(err))
	}
}
