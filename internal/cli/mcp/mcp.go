// Package mcp is the `portolan mcp` verb: it runs portolan-mcp, the Model
// Context Protocol server for coding agents, on this process's stdin and
// stdout. The server is a binary of its own (cmd/portolan-mcp) so that the
// MCP SDK's package initialisation, about 0.8 ms, is not paid by every
// portolan process.
package mcp

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// Binary is the MCP server's name, looked for next to this executable and
// then on PATH.
const Binary = "portolan-mcp"

// NewCmdMCP returns the mcp command.
func NewCmdMCP(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "mcp",
		Short: "Serve portolan's tools to coding agents over the Model Context Protocol (stdio)",
		Long: `Serve the Model Context Protocol on stdin and stdout, for coding agents: tools
lookup, ls, owner, free, lease, release, port, ports, env, wait, why and kill, each
answering the same JSON as the CLI's --json. kill is a dry run unless the call sets
confirm: true, and never signals pid 1, this server's parent chain (the agent that started
it) or a process of another user.

The server is the portolan-mcp binary (make build and make install build it beside
portolan; go install github.com/portolan-dev/portolan/cmd/portolan-mcp@latest), found next
to this executable or on PATH.

Register it with an agent, e.g. in its MCP configuration:
  {"mcpServers": {"portolan": {"command": "portolan", "args": ["mcp"]}}}`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := Find()
			if err != nil {
				return err
			}
			return run(f, path)
		},
	}
}

// Find returns the path of portolan-mcp: beside this executable first (the
// two are built and installed together), then on PATH.
func Find() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), Binary)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(Binary); err == nil {
		return p, nil
	}
	return "", portolan.Errorf(portolan.EUNSUPPORTED, "portolan mcp needs %s beside portolan or on PATH: make install, or go install github.com/portolan-dev/portolan/cmd/portolan-mcp@latest", Binary)
}

// run runs the server on this process's stdio until it ends, forwarding
// SIGINT and SIGTERM, and exits with its status.
func run(f *cmdutil.Factory, path string) error {
	c := exec.Command(path)
	c.Stdin, c.Stdout, c.Stderr = f.IOStreams.In, f.IOStreams.Out, f.IOStreams.ErrOut
	if err := c.Start(); err != nil {
		return portolan.Errorf(portolan.EINTERNAL, "cannot start %s: %v", path, err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			c.Process.Signal(s)
		}
	}()
	err := c.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return cmdutil.Exit(ee.ExitCode())
	}
	return err
}
