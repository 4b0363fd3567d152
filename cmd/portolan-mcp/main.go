// Command portolan-mcp serves portolan's tools to coding agents over the
// Model Context Protocol on stdio; `portolan mcp` runs it. It is a binary of
// its own so that the MCP SDK's package initialisation is paid by the MCP
// server alone, not by every `portolan 443`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/portolan-dev/portolan/internal/cli/assignments"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/ls"
	"github.com/portolan-dev/portolan/internal/cli/query"
	"github.com/portolan-dev/portolan/internal/mcpserver"
)

// version is set with -ldflags "-X main.version=..." by release builds.
var version = "dev"

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "portolan-mcp: takes no arguments; it serves MCP on stdin and stdout (see portolan mcp --help)")
		os.Exit(cmdutil.ExitUsage)
	}
	f := factory.New(version)
	qo := query.NewOptions(f)
	qo.Assignments, qo.Leases = assignments.QuerySections(f)
	qo.Sockets = ls.QuerySockets
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := mcpserver.Run(ctx, f, qo.Answers)
	if f.Close != nil {
		f.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "portolan-mcp: %s\n", cmdutil.Message(err))
		os.Exit(cmdutil.ExitCode(err))
	}
}
