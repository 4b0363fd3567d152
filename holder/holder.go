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
}

// Of works out what process pid is. What /proc hides from the caller is
// left out; an error only when the process itself cannot be read.
func Of(pid int, o Options) (portolan.Holder, error) {
	var h portolan.Holder
	st, err := procfs.ReadStat(pid)
	if err != nil {
		return h, err
	}
	if b, err := os.ReadFile(procfs.Path(pid, "cgroup")); err == nil {
		h.Container, h.Pod, h.Unit = FromCgroup(string(b))
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
	h.Orphan = orphan(pid, st)
	h.Supervisor = supervisor(st.PPID, h.Unit, o)
	if cwd, err := os.Readlink(procfs.Path(pid, "cwd")); err == nil && h.Published == nil { // a forwarder's directory is its daemon's
		if co, err := checkout.Of(cwd); err == nil && co.Git {
			h.Project = &portolan.ProjectDir{Top: co.Project, Worktree: co.Worktree, Branch: co.Branch}
		}
	}
	return h, nil
}

// orphan: reparented to pid 1 while still in the process group of a leader
// that is gone (a dev server whose nodemon or shell died). Daemons that pid
// 1 starts lead their own group, so they are not orphans.
func orphan(pid int, st procfs.Stat) bool {
	if st.PPID != 1 || st.PGRP == pid || st.PGRP == 0 {
		return false
	}
	_, err := procfs.ReadStat(st.PGRP)
	return procfs.IsGone(err)
}

// supervisor walks up from ppid to the nearest ancestor that restarts what
// it runs; a systemd unit with Restart= counts when no closer one does.
func supervisor(ppid int, unit string, o Options) *portolan.Supervisor {
	for p, hops := ppid, 0; p > 1 && hops < 64; hops++ {
		st, err := procfs.ReadStat(p)
		if err != nil {
			break
		}
		cmd, _ := os.ReadFile(procfs.Path(p, "cmdline"))
		if kind, stop := kindOf(st.Comm, procfs.SplitCmdline(cmd)); kind != "" {
			return &portolan.Supervisor{PID: p, Kind: kind, Stop: stop}
		}
		p = st.PPID
	}
	if unit != "" && strings.HasSuffix(unit, ".service") && restarts(unit, o) {
		return &portolan.Supervisor{PID: 1, Kind: "systemd", Stop: "systemctl stop " + unit}
	}
	return nil
}

// kindOf recognises a supervisor by its name and command line.
func kindOf(comm string, argv []string) (kind, stop string) {
	joined := strings.Join(argv, " ")
	switch {
	case strings.HasPrefix(comm, "PM2") || strings.Contains(joined, "PM2 v") && strings.Contains(joined, "God Daemon"):
		return "pm2", "pm2 stop all (or pm2 stop NAME; pm2 list names them)"
	case strings.Contains(joined, "nodemon"):
		return "nodemon", "stop the nodemon process (Ctrl-C in its terminal, or portolan kill on its pid)"
	case comm == "supervisord" || strings.Contains(joined, "supervisord"):
		return "supervisord", "supervisorctl stop NAME (supervisorctl status names them)"
	case comm == "runsv":
		if len(argv) > 1 {
			return "runit", "sv down " + argv[len(argv)-1]
		}
		return "runit", "sv down SERVICE"
	case comm == "s6-supervise":
		if len(argv) > 1 {
			return "s6", "s6-svc -d " + argv[len(argv)-1]
		}
		return "s6", "s6-svc -d SERVICEDIR"
	}
	return "", ""
}

// restarts reports whether unit's file sets Restart= to anything but no.
func restarts(unit string, o Options) bool {
	dirs := o.UnitDirs
	if dirs == nil {
		dirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}
	}
	for _, d := range dirs {
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
		p := h.Project.Worktree
		if h.Project.Branch != "" {
			p += " [" + h.Project.Branch + "]"
		}
		parts = append(parts, p)
	}
	if h.Orphan {
		parts = append(parts, "orphan")
	}
	return strings.Join(parts, " ")
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
