package root

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// pillars groups the verbs in the root help the way the product is told:
// know, see, allocate, serve. A verb missing here lands under cobra's
// "Additional Commands", and TestEveryVerbHasAPillar says so.
var pillars = []struct {
	group cobra.Group
	verbs []string
}{
	{cobra.Group{ID: "know", Title: "Know: the registry, classes and this host's ranges"},
		[]string{"search", "ranges", "export", "registry"}},
	{cobra.Group{ID: "see", Title: "See: who holds a port here, and ports on hosts"},
		[]string{"ls", "kill", "why", "exposure", "check", "wait", "scan"}},
	{cobra.Group{ID: "allocate", Title: "Allocate: free ports, leases, named ports and assignments"},
		[]string{"free", "lease", "leases", "release", "run", "port", "ports", "env", "assign", "assignments", "unassign"}},
	{cobra.Group{ID: "serve", Title: "Serve: the API, the page and agents"},
		[]string{"serve", "mcp", "agent", "fleet"}},
	{cobra.Group{ID: "shell", Title: "Shell"},
		[]string{"completion"}},
}

// groupVerbs puts every verb of cmd under its pillar.
func groupVerbs(cmd *cobra.Command) {
	byVerb := map[string]string{}
	for _, p := range pillars {
		cmd.AddGroup(&p.group)
		for _, v := range p.verbs {
			byVerb[v] = p.group.ID
		}
	}
	for _, c := range cmd.Commands() {
		if id, ok := byVerb[c.Name()]; ok {
			c.GroupID = id
		}
	}
	cmd.SetHelpCommandGroupID("shell")
	cmd.SetCompletionCommandGroupID("shell")
}

// helpFooter ends the root help: what the environment changes and what the
// exit codes mean, so a script's author need not read the README.
const helpFooter = `
Environment:
  PORTOLAN_ADDR          the server verbs talk to (as --server), e.g. http://127.0.0.1:7780
  PORTOLAN_TOKEN         bearer token sent to that server (as --token)
  PORTOLAN_STORE         state store: sqlite:PATH or postgres://... (serve, and local verbs)
  PORTOLAN_STORE_TIMEOUT bound on each PostgreSQL call (100ms-10m, default 5s)
  PORTOLAN_ADMIN_TOKEN   serve: extra admin tokens, whitespace-separated (never in argv)
  PORTOLAN_READ_TOKEN    serve: read-only tokens, whitespace-separated
  PORTSERVER_ADDRESS     portserver socket lease and run use (portpicker's variable)
  XDG_STATE_HOME         state directory: STATE/portolan (database, token)
  XDG_DATA_HOME          data directory: DATA/portolan/iana.snap (registry update)
  NO_COLOR               no colour even on a terminal
  COLUMNS                table width when it cannot be read from the terminal

Exit codes:
  0    success: found, free, open, done
  1    nothing found, not all open, or refused (a conflict, a process not signalled)
  2    bad usage or bad input (one line names the input and the valid form)
  3    internal error (I/O, a store or a server that broke)
  124  a wait that timed out, or a port still held after kill's timeout
  130  interrupted (Ctrl-C) after printing what was found
`

// buildVersion is the version to print: the one a release build stamped
// (-X main.version), else what the Go toolchain recorded, the module
// version for `go install ...@vX` or the VCS revision of a checkout build
// ("dev+a1b2c3d4e5f6, dirty, 2026-11-28").
func buildVersion(stamped string) string {
	if stamped != "" && stamped != "dev" {
		return stamped
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if len(at) >= 10 {
		at = ", " + at[:10]
	}
	return "dev+" + rev + dirty + at
}
