//go:build !unix

package probe

// RaiseNoFile reports a conservative descriptor budget where there is no
// RLIMIT_NOFILE.
func RaiseNoFile() int { return 2048 }
