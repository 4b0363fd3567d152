//go:build !linux

package sockhold

// onOneCPU runs fn; only Linux's socket inodes depend on the CPU.
func onOneCPU(fn func() error) error { return fn() }
