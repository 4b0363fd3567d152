// Command portolan is the port authority. main only wires: the verbs live in
// internal/cli, the logic in the root package and its adapters.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/factory"
	"github.com/portolan-dev/portolan/internal/cli/root"
)

// version is set with -ldflags "-X main.version=..." by release builds.
var version = "dev"

func main() { os.Exit(run()) }

func run() (code int) {
	f := factory.New(version)
	defer func() {
		// No stack trace ever reaches a user: a bug becomes one line and exit 1.
		if r := recover(); r != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "portolan: internal error: %v\n", r)
			code = 1
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := root.NewCmdRoot(f)
	err := cmd.ExecuteContext(ctx)
	if msg := cmdutil.Message(err); msg != "" {
		fmt.Fprintf(f.IOStreams.ErrOut, "portolan: %s\n", msg)
	}
	return cmdutil.ExitCode(err)
}
