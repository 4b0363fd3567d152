//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package iostreams

import "os"

// Elsewhere (Windows, Plan 9) a character device is taken for a terminal;
// the width falls back to COLUMNS or 80.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func terminalWidth(*os.File) int { return 0 }
