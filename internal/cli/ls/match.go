package ls

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// parsePortArg reads a positional port as people type it after lsof -i:
// "3000", ":3000", or with a protocol, "3000/tcp" or ":53/udp".
func parsePortArg(a string) (portolan.Port, portolan.Proto, error) {
	s := strings.TrimPrefix(a, ":")
	body, proto, hasProto := strings.Cut(s, "/")
	pr := portolan.ProtoAny
	if hasProto {
		p, err := portolan.ParseProto(proto)
		if err != nil || (p != portolan.TCP && p != portolan.UDP) {
			return 0, 0, cmdutil.FlagErrorf("%q: protocol %q is not tcp or udp; want PORT, :PORT or PORT/tcp", a, proto)
		}
		pr = p
	}
	p, err := portolan.ParsePort(body)
	if err != nil {
		return 0, 0, cmdutil.FlagErrorf("%q is not a port: want PORT or :PORT (1-65535), e.g. portolan ls 3000", a)
	}
	if p == 0 {
		return 0, 0, cmdutil.FlagErrorf("port 0 matches no socket: want a port 1-65535")
	}
	return p, pr, nil
}

// procMatcher matches --proc NAME against what people call a process:
// its comm (the kernel cuts it to 15 bytes), the base name of argv[0] and
// the base name of /proc/PID/exe, each by case-insensitive prefix, so
// "--proc postgres" finds "postgres: checkpointer" and "--proc chrom"
// finds Chromium's "chrome".
type procMatcher struct {
	name string // lower case
	exe  func(pid int) string
}

func newProcMatcher(name string) *procMatcher {
	return &procMatcher{name: strings.ToLower(name), exe: exeBase}
}

func (m *procMatcher) matches(p *portolan.Process) bool {
	if p == nil {
		return false
	}
	if m.prefix(p.Name) {
		return true
	}
	if len(p.Cmdline) > 0 && m.prefix(filepath.Base(p.Cmdline[0])) {
		return true
	}
	return m.prefix(m.exe(p.PID))
}

func (m *procMatcher) prefix(s string) bool {
	return s != "" && len(s) >= len(m.name) && strings.EqualFold(s[:len(m.name)], m.name)
}

// exeBase is the base name of the executable process pid runs, or "" when
// /proc does not say (another user's process, a kernel thread).
func exeBase(pid int) string {
	t, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return ""
	}
	return filepath.Base(strings.TrimSuffix(t, " (deleted)"))
}
