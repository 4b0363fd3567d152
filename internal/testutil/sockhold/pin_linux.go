package sockhold

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// onOneCPU runs fn on one thread pinned to one CPU. The kernel hands out
// socket inode numbers in per-CPU batches of 1,024, so sockets opened while
// a thread moves between CPUs interleave two ranges of inodes; pinned, they
// are in inode order as their descriptors are, which the owner tests of a
// large descriptor table rely on.
func onOneCPU(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err == nil {
		for cpu := 0; cpu < 1024; cpu++ {
			if all.IsSet(cpu) {
				var one unix.CPUSet
				one.Set(cpu)
				if unix.SchedSetaffinity(0, &one) == nil {
					defer unix.SchedSetaffinity(0, &all)
				}
				break
			}
		}
	}
	return fn()
}
