package cmdutil

import (
	"errors"
	"fmt"

	"github.com/portolan-dev/portolan"
)

// Exit codes shared by every verb (docs/architecture.md, and the root help).
const (
	ExitOK       = 0
	ExitNotFound = 1 // nothing found, or not all targets open
	ExitUsage    = 2 // bad usage or bad input
	ExitInternal = 3 // a bug or an unexpected failure (I/O, a store, a server that broke)
	ExitTimeout  = 124
	ExitSignal   = 130 // interrupted (Ctrl-C) after printing what was found
)

// SilentError ends a command with Code and prints nothing more: the command
// has already said what it had to (e.g. "1: nothing matched" after output).
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Exit returns a SilentError with the given code.
func Exit(code int) error { return &SilentError{Code: code} }

// FlagErrorf returns an EINVALID error, which exits with code 2.
func FlagErrorf(format string, args ...any) error {
	return portolan.Errorf(portolan.EINVALID, format, args...)
}

// ExitCode maps an error to the process exit code: EINVALID and
// EUNSUPPORTED 2, ETIMEOUT 124, EINTERNAL (and any error that is not a
// *portolan.Error) 3, everything else (not found, conflict, refused) 1.
// Scripts can tell "no" (1) from "broken" (3).
func ExitCode(err error) int {
	var s *SilentError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &s):
		return s.Code
	}
	switch portolan.ErrorCode(err) {
	case portolan.EINVALID, portolan.EUNSUPPORTED:
		return ExitUsage
	case portolan.ETIMEOUT:
		return ExitTimeout
	case portolan.EINTERNAL:
		return ExitInternal
	}
	return ExitNotFound
}

// Message returns the one line to print for err, or "" for a SilentError.
// Errors that are not *portolan.Error print their own text (cobra's flag
// errors and OS errors are already one line), never a stack.
func Message(err error) string {
	var s *SilentError
	var pe *portolan.Error
	switch {
	case err == nil, errors.As(err, &s):
		return ""
	case errors.As(err, &pe):
		return pe.Message
	}
	return err.Error()
}
