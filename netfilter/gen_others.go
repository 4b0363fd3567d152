//go:build !linux

package netfilter

func generation() (gen uint32, cookie uint64, ok bool) { return 0, 0, false }
