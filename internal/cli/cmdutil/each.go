package cmdutil

import (
	"fmt"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
)

// Each is a verb that ends several things at once (release PORT...,
// unassign PORT/PROTO...): Act on every target in turn, one line of Done
// on stdout for each that worked, one Row each for --json.
type Each[T, R any] struct {
	Act  func(T) error
	Done func(T) string
	// Row is a target's --json row: err is nil, or why it was not acted on.
	Row func(t T, err error) R
}

// Run acts on targets. A target that is not there (ENOTFOUND) is said on
// stderr and the rest are still acted on; the run then exits 1. Any other
// error stops it.
func (e Each[T, R]) Run(s *iostreams.IOStreams, asJSON bool, targets []T) error {
	var failed error
	rows := make([]R, 0, len(targets))
	for _, t := range targets {
		err := e.Act(t)
		switch {
		case err == nil:
			if !asJSON {
				fmt.Fprintln(s.Out, e.Done(t))
			}
		case portolan.ErrorCode(err) == portolan.ENOTFOUND:
			fmt.Fprintf(s.ErrOut, "portolan: %s\n", portolan.ErrorMessage(err))
			failed = Exit(ExitNotFound)
		default:
			return err
		}
		rows = append(rows, e.Row(t, err))
	}
	if asJSON {
		if err := WriteJSON(s, rows); err != nil {
			return err
		}
	}
	return failed
}

// List ends a listing verb (assignments, leases): --json prints items (an
// empty array, never null), else table renders them; an empty list exits 1,
// and says empty on a terminal's stderr.
func List[T any](s *iostreams.IOStreams, asJSON bool, items []T, empty string, table func() error) error {
	var err error
	if asJSON {
		if items == nil {
			items = []T{}
		}
		err = WriteJSON(s, items)
	} else {
		err = table()
	}
	if err != nil {
		return err
	}
	if len(items) == 0 {
		if !asJSON && s.IsStderrTTY() {
			fmt.Fprintln(s.ErrOut, empty)
		}
		return Exit(ExitNotFound)
	}
	return nil
}
