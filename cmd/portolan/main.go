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
		// No stack trace ever reaches a user: a bug becomes one line and
		// exit 3, the internal-error code.
		if r := recover(); r != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "portolan: internal error: %v\n", r)
			code = cmdutil.ExitInternal
		}
	}()
	cmd := root.NewCmdRoot(f)
	ctx := context.Background()
	if c, _, err := cmd.Find(os.Args[1:]); err != nil || c != cmd {
		// Verbs that wait, scan, serve or run a command end cleanly on
		// Ctrl-C and SIGTERM. A lookup (the root command) only reads, so the
		// default disposition is fine, and it skips the handler's two extra
		// OS threads: ~0.3 ms of its start-up (bench/know.sh).
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		// The first signal asks for a clean end (serve drains its requests
		// and closes the store last); a second one ends the process at once.
		context.AfterFunc(ctx, stop)
	}
	err := cmd.ExecuteContext(ctx)
	if f.Close != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the state database: %w", cerr)
		}
	}
	if msg := cmdutil.Message(err); msg != "" {
		fmt.Fprintf(f.IOStreams.ErrOut, "portolan: %s\n", msg)
	}
	return cmdutil.ExitCode(err)
}
