// Package killutil signals the process holding a port without ever
// signalling a reused pid; the kill verb and the MCP kill tool share it.
package killutil

import "errors"

// ErrGone means the process exited (or its pid now names another process)
// between the lookup and the signal: there is nothing left to signal.
var ErrGone = errors.New("process is gone")
