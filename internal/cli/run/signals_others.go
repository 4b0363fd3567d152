//go:build !unix

package run

import "os"

// forwarded are the signals passed on to the command; outside Unix only
// an interrupt can be.
var forwarded = []os.Signal{os.Interrupt}

// fromTerminal reports whether the console already delivered sig to the
// command; Windows consoles send Ctrl-C to every attached process.
func fromTerminal(sig os.Signal) bool { return sig == os.Interrupt }
