package kill

import (
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/killutil"
)

// Signal is a signal number; its names are Linux's, where kill works.
type Signal int

const sigKill Signal = 9

// errGone means the process exited (or its pid now names another process)
// between the lookup and the signal.
var errGone = killutil.ErrGone

// signalProcess signals p through a pidfd, checked against its start time.
func signalProcess(p *portolan.Process, sig Signal) error { return killutil.Signal(p, int(sig)) }

var signalNames = map[string]Signal{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9,
	"USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16,
	"CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24,
	"XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
}

// ParseSignal accepts TERM, SIGTERM, sigterm or 15.
func ParseSignal(s string) (Signal, error) {
	n := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG")
	if sig, ok := signalNames[n]; ok {
		return sig, nil
	}
	if v, err := strconv.Atoi(s); err == nil && v >= 1 && v <= 64 {
		return Signal(v), nil
	}
	return 0, cmdutil.FlagErrorf("signal %q is not a signal name (TERM, INT, HUP, KILL, ...) or number 1-64", s)
}

// String returns the name without SIG, or the number.
func (s Signal) String() string {
	for n, v := range signalNames {
		if v == s {
			return n
		}
	}
	return strconv.Itoa(int(s))
}
