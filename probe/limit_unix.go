//go:build unix

package probe

import "golang.org/x/sys/unix"

// RaiseNoFile raises the soft descriptor limit to the hard one (bounded by
// the kernel's nr_open when the hard limit is infinite) and returns the
// soft limit now in force. A scan's concurrency is sized from it.
func RaiseNoFile() int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 1024
	}
	if rl.Cur < rl.Max {
		want := rl.Max
		if want == unix.RLIM_INFINITY {
			want = 1 << 20
		}
		nl := unix.Rlimit{Cur: want, Max: rl.Max}
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &nl) == nil {
			rl.Cur = want
		}
	}
	return int(min(rl.Cur, 1<<30))
}
