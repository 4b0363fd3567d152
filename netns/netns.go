// Package netns finds the network namespaces of this host and reads their
// sockets: a container's own listeners, an `ip netns` host's, which `ss`
// on the host never shows. Namespaces come from /proc/*/ns/net (one per
// inode), the nsfs mounts that name them (/run/netns for ip netns, docker's
// exec-root netns directory) and those directories themselves. A namespace
// is read by entering it with setns on a locked OS thread, which returns to
// this process's namespace afterwards or dies with its goroutine. Other
// operating systems build, and every call returns an EUNSUPPORTED error.
package netns

import "github.com/portolan-dev/portolan"

// NS is one network namespace and how to enter it.
type NS struct {
	portolan.NetNS
	Path string // a file that opens it: /run/netns/NAME, /proc/PID/ns/net
	PID  int    // the lowest pid of a process in it, 0 when none was seen
	Comm string // that process's name
	Host bool   // this process's own namespace
}

// Forms names the values --netns takes, for messages and help.
const Forms = "all, an ip netns name, a pid, or a namespace file such as /run/netns/NAME"
