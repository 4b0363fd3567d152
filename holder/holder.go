package holder

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/procfs"
)

// Options says where the unit files are (tests point it elsewhere).
type Options struct {
	// UnitDirs are searched for a unit's file to read its Restart=
	// (default /etc/systemd/system, /run/systemd/system,
	// /usr/lib/systemd/system, /lib/systemd/system).
	UnitDirs []string
	// Now is the clock for Age (default time.Now).
	Now func() time.Time
	// PodLogDir is the kubelet's pod log directory, whose entries
	// NAMESPACE_NAME_UID name the pods (default /var/log/pods).
	PodLogDir string
}

// Of works out what process pid is. What /proc hides from the caller is
// left out; an error only when the process itself cannot be read.
func Of(pid int, o Options) (portolan.Holder, error) { return of(pid, o, nil) }

// cache keeps, across the processes of one Annotate, what their shared
// ancestors are and what their working directories' checkouts are: a
// host's processes mostly descend from a few and run in a few directories.
type cache struct {
	procs    map[int]ancestor
	projects map[string]*portolan.ProjectDir
}

// ancestor is one process on the way up to a supervisor.
type ancestor struct {
	ppid int
	kind string // kindOf's answer; "" for none
	// subreaper: a program that adopts its descendants' orphans.
	subreaper bool
	argv      []string // kept for a supervisor's stop command
	err       bool     // unreadable: the walk stops here
}

func newCache() *cache {
	return &cache{procs: map[int]ancestor{}, projects: map[string]*portolan.ProjectDir{}}
}

// ancestor reads p's parent and supervisor kind, once per cache.
func (c *cache) ancestor(p int) ancestor {
	if c != nil {
		if a, ok := c.procs[p]; ok {
			return a
		}
	}
	var a ancestor
	if st, err := procfs.ReadStat(p); err != nil {
		a.err = true
	} else {
		cmd, _ := os.ReadFile(procfs.Path(p, "cmdline"))
		argv := procfs.SplitCmdline(cmd)
		a.ppid, a.kind, a.subreaper = st.PPID, kindOf(st.Comm, argv), subreapers[st.Comm]
		if a.kind != "" {
			a.argv = argv
		}
	}
	if c != nil {
		c.procs[p] = a
	}
	return a
}

// project is the checkout of cwd, once per cache.
func (c *cache) project(cwd string) *portolan.ProjectDir {
	if c != nil {
		if p, ok := c.projects[cwd]; ok {
			return p
		}
	}
	var p *portolan.ProjectDir
	if co, err := checkout.Of(cwd); err == nil && co.Git {
		p = &portolan.ProjectDir{Top: co.Project, Worktree: co.Worktree, Branch: co.Branch}
	}
	if c != nil {
		c.projects[cwd] = p
	}
	return p
}

func of(pid int, o Options, c *cache) (portolan.Holder, error) {
	var h portolan.Holder
	st, err := procfs.ReadStat(pid)
	if err != nil {
		return h, err
	}
	if b, err := os.ReadFile(procfs.Path(pid, "cgroup")); err == nil {
		h.Container, h.Pod, h.Unit = FromCgroup(string(b))
		if h.Pod != nil {
			podName(h.Pod, o.PodLogDir)
		}
	}
	if st.Comm == "docker-proxy" {
		if cmd, err := os.ReadFile(procfs.Path(pid, "cmdline")); err == nil {
			h.Published = ParseProxy(procfs.SplitCmdline(cmd))
		}
	}
	if start := procfs.StartTime(st.StartTicks); !start.IsZero() {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		h.Age = now().Sub(start).Round(time.Second)
	}
	h.Orphan = orphan(pid, st, c)
	h.Supervisor = supervisor(pid, st.PPID, h.Unit, o, c)
	if cwd, err := os.Readlink(procfs.Path(pid, "cwd")); err == nil && h.Published == nil { // a forwarder's directory is its daemon's
		if p := c.project(cwd); p != nil {
			cp := *p // each holder its own: callers may change theirs
			h.Project = &cp
		}
	}
	return h, nil
}

// orphan: reparented to pid 1 or to a subreaper while still in the
// process group of a leader that is gone (a dev server whose nodemon or
// shell died). Daemons that pid 1 starts lead their own group, so they are
// not orphans. /proc does not say which process is a subreaper, so the
// usual ones are known by name.
func orphan(pid int, st procfs.Stat, c *cache) bool {
	if st.PGRP == pid || st.PGRP == 0 || st.PPID != 1 && !c.ancestor(st.PPID).subreaper {
		return false
	}
	_, err := procfs.ReadStat(st.PGRP)
	return procfs.IsGone(err)
}

// subreapers are the programs that adopt their descendants' orphans
// (PR_SET_CHILD_SUBREAPER): container inits and shims, and systemd's user
// manager.
// (comm holds 15 bytes: containerd-shim-runc-v2 reads containerd-shim).
var subreapers = map[string]bool{"tini": true, "tini-static": true, "docker-init": true, "dumb-init": true,
	"catatonit": true, "containerd-shim": true, "conmon": true, "s6-svscan": true, "systemd": true}

// supervisor walks up from ppid to the nearest ancestor that restarts what
// it runs; a systemd unit with Restart= counts when no closer one does. The
// process just below the supervisor is the program it runs: its
// environment names it to pm2 and supervisord (the stop command needs that
// name).
func supervisor(pid, ppid int, unit string, o Options, c *cache) *portolan.Supervisor {
	for below, p, hops := pid, ppid, 0; p > 1 && hops < 64; hops++ {
		a := c.ancestor(p)
		if a.err {
			break
		}
		if a.kind != "" {
			return &portolan.Supervisor{PID: p, Kind: a.kind, Stop: stopCommand(a.kind, p, a.argv, below)}
		}
		below, p = p, a.ppid
	}
	if unit != "" && strings.HasSuffix(unit, ".service") && restarts(unit, o) {
		return &portolan.Supervisor{PID: 1, Kind: "systemd", Stop: "systemctl stop " + unit}
	}
	return nil
}

// kindOf recognises a supervisor by its name and command line: pm2's God
// daemon renames itself ("PM2 v6.0.5: God Daemon (/home/u/.pm2)"),
// nodemon runs as "node .../nodemon ...", supervisord as "python3
// /usr/bin/supervisord -c CONF".
func kindOf(comm string, argv []string) string {
	joined := strings.Join(argv, " ")
	switch {
	case strings.HasPrefix(comm, "PM2") || strings.HasPrefix(joined, "PM2 v") && strings.Contains(joined, "God Daemon"):
		return "pm2"
	case comm == "supervisord" || len(argv) > 1 && filepath.Base(argv[1]) == "supervisord" || len(argv) > 0 && filepath.Base(argv[0]) == "supervisord":
		return "supervisord"
	case comm == "runsv":
		return "runit"
	case comm == "s6-supervise":
		return "s6"
	}
	for _, a := range argv[:min(len(argv), 2)] {
		if filepath.Base(a) == "nodemon" || strings.HasSuffix(a, "/nodemon/bin/nodemon.js") {
			return "nodemon"
		}
	}
	return ""
}

// stopCommand is the command that stops the program below the supervisor
// for good. The program's name comes from its environment (pm2 sets name=,
// supervisord SUPERVISOR_PROCESS_NAME and _GROUP_NAME), which /proc shows
// only to its user and root: NAME stands in when it is hidden.
func stopCommand(kind string, sup int, argv []string, below int) string {
	switch kind {
	case "pm2":
		name := envOf(below, "name")
		if name == "" {
			name = "NAME"
		}
		cmd := "pm2 stop " + quote(name)
		// The God daemon's title names its PM2_HOME; a home other than
		// ~/.pm2 must be given to the pm2 client too.
		if len(argv) > 0 {
			i, j := strings.LastIndexByte(argv[0], '('), strings.LastIndexByte(argv[0], ')')
			if i >= 0 && j > i && filepath.Base(argv[0][i+1:j]) != ".pm2" {
				cmd = "PM2_HOME=" + quote(argv[0][i+1:j]) + " " + cmd
			}
		}
		return cmd
	case "supervisord":
		name := envOf(below, "SUPERVISOR_PROCESS_NAME")
		if g := envOf(below, "SUPERVISOR_GROUP_NAME"); g != "" && g != name {
			name = g + ":" + name
		}
		if name == "" {
			name = "NAME"
		}
		cmd := "supervisorctl "
		for i, a := range argv {
			switch {
			case (a == "-c" || a == "--configuration") && i+1 < len(argv):
				cmd += "-c " + quote(argv[i+1]) + " "
			case strings.HasPrefix(a, "--configuration="):
				cmd += "-c " + quote(strings.TrimPrefix(a, "--configuration=")) + " "
			}
		}
		return cmd + "stop " + quote(name)
	case "nodemon":
		return "kill " + strconv.Itoa(sup) + " (nodemon; or Ctrl-C in its terminal)"
	case "runit":
		if len(argv) > 1 {
			return "sv down " + argv[len(argv)-1]
		}
		return "sv down SERVICE"
	case "s6":
		if len(argv) > 1 {
			return "s6-svc -d " + argv[len(argv)-1]
		}
		return "s6-svc -d SERVICEDIR"
	}
	return ""
}

// quote makes s one shell word: as is when it holds only safe bytes, else
// in single quotes.
func quote(s string) string {
	safe := s != ""
	for i := 0; i < len(s) && safe; i++ {
		c := s[i]
		safe = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_./:@%+=,", c) >= 0
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// envOf returns the value of key in pid's environment, or "" when it is
// not set or /proc hides it.
func envOf(pid int, key string) string {
	b, err := os.ReadFile(procfs.Path(pid, "environ"))
	if err != nil {
		return ""
	}
	for _, kv := range procfs.SplitCmdline(b) {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// unitDirs is systemd's system unit search path, or the test's.
func (o Options) unitDirs() []string {
	if o.UnitDirs != nil {
		return o.UnitDirs
	}
	return []string{"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}
}

// restarts reports whether unit's file sets Restart= to anything but no.
func restarts(unit string, o Options) bool {
	for _, d := range o.unitDirs() {
		f, err := os.Open(filepath.Join(d, unit))
		if err != nil {
			continue
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Restart="); ok {
				return strings.TrimSpace(v) != "no"
			}
		}
		return false
	}
	return false
}

// Label is the one-line owner a table shows: "container docker 3f2a…",
// "service nginx.service", "pod burstable 1b2c…", "nodemon pid 812",
// "~/src/shop [feat-x] orphan 3h".
func Label(h portolan.Holder) string {
	var parts []string
	switch {
	case h.Published != nil && h.Published.Container != nil && h.Published.Container.ID != "":
		parts = append(parts, ContainerLabel(h.Published.Container), "published to "+h.Published.Target)
	case h.Published != nil:
		parts = append(parts, "container at "+h.Published.Target+" (published by "+h.Published.Via+")")
	case h.Pod != nil && h.Pod.Name != "": // a pod's container: the pod is what people run
		parts = append(parts, "pod "+h.Pod.Namespace+"/"+h.Pod.Name)
	case h.Container != nil:
		parts = append(parts, ContainerLabel(h.Container))
	case h.Pod != nil:
		parts = append(parts, "pod "+short(h.Pod.UID))
	case h.Unit != "":
		parts = append(parts, h.Unit)
	}
	if h.Supervisor != nil && h.Supervisor.Kind != "systemd" && h.Supervisor.Kind != "docker" && h.Supervisor.Kind != "podman" {
		parts = append(parts, "under "+h.Supervisor.Kind+" pid "+strconv.Itoa(h.Supervisor.PID))
	}
	if h.Project != nil {
		p := tilde(h.Project.Worktree)
		if h.Project.Branch != "" {
			p += " [" + h.Project.Branch + "]"
		}
		parts = append(parts, p)
	}
	if h.Orphan {
		parts = append(parts, "orphan")
		if h.Age > 0 {
			parts = append(parts, Age(h.Age))
		}
	}
	return strings.Join(parts, " ")
}

// podName fills a pod's namespace and name from the kubelet's log
// directory, whose entries are NAMESPACE_NAME_UID (names cannot hold "_").
func podName(p *portolan.Pod, dir string) {
	if dir == "" {
		dir = "/var/log/pods"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutSuffix(e.Name(), "_"+p.UID)
		if !ok {
			continue
		}
		if ns, name, ok := strings.Cut(rest, "_"); ok && ns != "" && name != "" {
			p.Namespace, p.Name = ns, name
			return
		}
	}
}

// tilde writes a path under this user's home as ~/..., as a shell would.
func tilde(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return p
	}
	if p == home {
		return "~"
	}
	if rest, ok := strings.CutPrefix(p, home+"/"); ok {
		return "~/" + rest
	}
	return p
}

// Age is a duration as people read an age: 45s, 12m, 3h, 5d.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// ContainerLabel names a container as a table shows it: "container
// shop-api-1 (compose shop/api) restart unless-stopped" when the engine
// named it, else "container docker 3f2a9c1b7d4e".
func ContainerLabel(c *portolan.Container) string {
	if c.Name == "" {
		return "container " + c.Engine + " " + short(c.ID)
	}
	l := "container " + c.Name
	if c.Compose != nil {
		l += " (compose " + c.Compose.Project + "/" + c.Compose.Service + ")"
	}
	if c.Restart != "" {
		l += " restart " + c.Restart
	}
	return l
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
