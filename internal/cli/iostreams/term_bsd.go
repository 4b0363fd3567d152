//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package iostreams

import "golang.org/x/sys/unix"

const getTermios = unix.TIOCGETA
