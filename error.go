package portolan

import (
	"errors"
	"fmt"
)

// Error codes. They are mapped once to HTTP statuses (http package) and to
// exit codes (internal/cli), so every layer speaks the same language.
const (
	ECONFLICT     = "conflict"     // the port or name is already taken
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // bad input; the message names it and the valid form
	ENOTFOUND     = "not_found"    // nothing matched
	EUNAUTHORIZED = "unauthorized" // missing or wrong credentials
	EFORBIDDEN    = "forbidden"    // the operation is refused (pid 1, another user's process)
	EUNSUPPORTED  = "unsupported"  // not available on this operating system or store
	ETIMEOUT      = "timeout"      // a deadline passed before the condition held
)

// Error is an error meant for the user: Code classifies it and Message is
// one line that names the input at fault and, for EINVALID, the valid form.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the *Error's message,
// or a generic one for internal errors so that internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
