// Package holder works out what a process is, from /proc alone: the
// container, pod or systemd unit of its cgroup, the supervisor that would
// restart it, whether it was orphaned, and the checkout it runs in. It
// reads what the kernel shows any user who may see the process; no daemon
// is asked.
package holder

import (
	"strings"

	"github.com/portolan-dev/portolan"
)

// FromCgroup reads the container, pod and systemd unit a /proc/PID/cgroup
// text names, in either form: cgroup v1 lines ("4:memory:/docker/ID",
// "9:name=systemd:/system.slice/nginx.service") and the unified v2 line
// ("0::/system.slice/docker-ID.scope").
func FromCgroup(text string) (c *portolan.Container, pod *portolan.Pod, unit string) {
	for _, line := range strings.Split(text, "\n") {
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrl, p, ok := strings.Cut(rest, ":")
		if !ok || p == "" || p == "/" {
			continue
		}
		lc, lpod, lunit := fromPath(p)
		if c == nil {
			c = lc
		}
		if pod == nil {
			pod = lpod
		}
		// The systemd hierarchies (v2, or v1's name=systemd) name the unit.
		if unit == "" && (ctrl == "" || ctrl == "name=systemd") {
			unit = lunit
		}
	}
	return c, pod, unit
}

// fromPath reads one cgroup path.
func fromPath(p string) (c *portolan.Container, pod *portolan.Pod, unit string) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		if c == nil {
			c = container(s, segs, i)
		}
		if pod == nil && strings.Contains(s, "pod") && strings.Contains(p, "kubepods") {
			pod = podOf(s, segs)
		}
		if strings.HasSuffix(s, ".service") || strings.HasSuffix(s, ".scope") {
			if !strings.HasPrefix(s, "docker-") && !strings.HasPrefix(s, "libpod-") && !strings.HasPrefix(s, "cri-containerd-") &&
				!strings.HasPrefix(s, "crio-") && !strings.HasPrefix(s, "session-") {
				unit = s // the innermost unit wins (user@1000.service/app.slice/x.service)
			}
		}
	}
	return c, pod, unit
}

// container recognises a container's cgroup segment: docker-ID.scope,
// /docker/ID, libpod-ID.scope, /libpod/ID (podman), cri-containerd-ID.scope,
// /kubepods/.../ID (containerd with cgroupfs), crio-ID.scope.
func container(s string, segs []string, i int) *portolan.Container {
	for _, f := range []struct{ prefix, engine string }{
		{"docker-", "docker"}, {"libpod-", "podman"}, {"cri-containerd-", "containerd"}, {"crio-", "cri-o"},
	} {
		if id, ok := strings.CutPrefix(s, f.prefix); ok {
			id = strings.TrimSuffix(id, ".scope")
			if portolan.IsContainerID(id) {
				return &portolan.Container{Engine: f.engine, ID: id}
			}
		}
	}
	if portolan.IsContainerID(s) && i > 0 {
		switch segs[i-1] {
		case "docker":
			return &portolan.Container{Engine: "docker", ID: s}
		case "libpod", "machine.slice":
			return &portolan.Container{Engine: "podman", ID: s}
		}
		if strings.HasPrefix(segs[i-1], "pod") || strings.HasPrefix(segs[i-1], "kubepods") {
			return &portolan.Container{Engine: "containerd", ID: s}
		}
	}
	return nil
}

// podOf reads a pod's UID and QoS from a kubepods path: the systemd form
// kubepods-burstable-pod<uid with _>.slice, or the cgroupfs form
// /kubepods/burstable/pod<uid>.
func podOf(s string, segs []string) *portolan.Pod {
	qos := "guaranteed"
	for _, g := range segs {
		switch {
		case strings.Contains(g, "burstable"):
			qos = "burstable"
		case strings.Contains(g, "besteffort"):
			qos = "besteffort"
		}
	}
	i := strings.LastIndex(s, "pod")
	if i < 0 {
		return nil
	}
	uid := strings.TrimSuffix(s[i+3:], ".slice")
	uid = strings.ReplaceAll(uid, "_", "-")
	if len(uid) != 36 || strings.Count(uid, "-") != 4 {
		return nil
	}
	return &portolan.Pod{UID: uid, QoS: qos}
}
