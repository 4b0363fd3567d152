//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package iostreams

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal asks for the terminal's settings (getTermios is the request's
// name on this OS); only a terminal has them.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), getTermios)
	return err == nil
}

func terminalWidth(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
