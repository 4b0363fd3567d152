//go:build linux

// Package dockertest runs a Docker engine of its own for tests: dockerd
// with its own data root, exec root, pidfile and socket under a temp dir,
// started inside a network namespace this package creates, so its bridge,
// its iptables chains and its published ports live and die there and the
// host's network never sees them. Commands under test run in the same
// namespace (InNS). Close removes the containers, stops the engine and
// deletes the directory, the namespace and the cgroups it made.
//
// The image is made without a registry: `docker import` of a root
// filesystem holding Debian's static busybox and its applet links.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan/internal/procfs"
)

// Image is the name the imported busybox image gets.
const Image = "ptl-busybox:test"

// nsPrefix and dirPrefix name this package's namespaces and directories;
// the pid after them tells a live run's from one a killed run left.
const (
	nsPrefix  = "ptldock-"
	dirPrefix = "ptl-dockerd-"
)

// Options shape the engine.
type Options struct {
	// NoUserlandProxy starts dockerd with --userland-proxy=false:
	// published ports are DNAT rules only, no docker-proxy.
	NoUserlandProxy bool
	// Bridge is docker0's address and prefix (--bip), 10.213.0.1/24 by
	// default; it lives in the namespace only.
	Bridge string
	// Podman starts rootful Podman's API service (podman system service)
	// instead of dockerd, with its own storage, run root, CNI
	// configuration and IPAM state under Dir; its network is Bridge's
	// subnet (10.215.0.0/24 by default).
	Podman bool
}

// Engine is a running dockerd.
type Engine struct {
	Dir    string // everything it writes, removed by Close
	Socket string // its API socket
	NetNS  string // the namespace it runs in (ip netns name)
	// Engine is "docker" or "podman": its CLI runs as CLI.
	Engine string
	cli    []string // the CLI with the flags that point it at this engine
	env    []string
	cmd    *exec.Cmd
	done   chan error
	closed bool
	// cgroupsBefore are the docker cgroup directories that existed before
	// it started: the others are its own, removed by Close.
	cgroupsBefore map[string]bool
	// leftDirs are host paths outside Dir that the engine or its plugins
	// create (parents first) and that did not exist before: Close removes
	// them, directories only when empty.
	leftDirs []string
}

// Available says why an engine cannot be started here, or "".
func Available() string {
	if os.Geteuid() != 0 {
		return "needs root (dockerd, network namespaces)"
	}
	for _, tool := range []string{"dockerd", "docker", "busybox", "ip", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "needs " + tool + " (scripts/install-deps.sh installs docker.io, busybox-static, iproute2, util-linux)"
		}
	}
	return ""
}

// Start starts an engine and imports Image into it. The caller must Close it.
func Start(o Options) (e *Engine, err error) {
	if why := Available(); why != "" {
		return nil, errors.New(why)
	}
	reapStale()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	e = &Engine{Dir: dir, Socket: filepath.Join(dir, "docker.sock"), NetNS: fmt.Sprintf("%s%d-%d", nsPrefix, os.Getpid(), time.Now().UnixNano()%1e6)}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if err := run("ip", "netns", "add", e.NetNS); err != nil {
		return e, err
	}
	if err := run("ip", "-n", e.NetNS, "link", "set", "lo", "up"); err != nil {
		return e, err
	}
	e.cgroupsBefore = cgroupDirs()
	var args []string
	if o.Podman {
		args, err = e.podman(o)
	} else {
		args = e.dockerd(o)
	}
	if err != nil {
		return e, err
	}
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		return e, err
	}
	defer log.Close()
	// nsenter, not ip netns exec: that one also remounts /sys, which hides
	// the cgroup mounts dockerd needs.
	e.cmd = exec.Command("nsenter", append([]string{"--net=" + e.nsPath(), "--"}, args...)...)
	e.cmd.Env = append(os.Environ(), e.env...)
	e.cmd.Stdout, e.cmd.Stderr = log, log
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		return e, err
	}
	e.done = make(chan error, 1)
	go func() { e.done <- e.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ping(e.Socket) {
			break
		}
		select {
		case err := <-e.done:
			e.done <- err
			return e, fmt.Errorf("%s exited (%v): %s", e.Engine, err, e.logTail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return e, fmt.Errorf("%s did not answer on %s within 30s: %s", e.Engine, e.Socket, e.logTail())
		}
	}
	return e, e.importImage()
}

func (e *Engine) nsPath() string { return "/run/netns/" + e.NetNS }

// dockerd returns dockerd's command line and points the docker CLI at it.
func (e *Engine) dockerd(o Options) []string {
	e.Engine = "docker"
	bip := o.Bridge
	if bip == "" {
		bip = "10.213.0.1/24"
	}
	args := []string{"dockerd",
		"--data-root", filepath.Join(e.Dir, "data"), "--exec-root", filepath.Join(e.Dir, "exec"),
		"--pidfile", filepath.Join(e.Dir, "dockerd.pid"), "-H", "unix://" + e.Socket, "--bip", bip}
	if o.NoUserlandProxy {
		args = append(args, "--userland-proxy=false")
	}
	// containerd's shims keep their sockets in /run/containerd/s; dockerd
	// 20.10 makes its trust key in /etc/docker and its plugin directory
	// in /run/docker whatever the flags.
	e.notBefore("/run/containerd", "/run/containerd/s", "/etc/docker", "/etc/docker/key.json", "/run/docker", "/run/docker/plugins")
	e.cli = []string{"docker", "-H", "unix://" + e.Socket}
	e.env = []string{"DOCKER_CONFIG=" + filepath.Join(e.Dir, "cli")}
	return args
}

// Docker runs the engine's CLI (docker, or podman inside the namespace,
// where it sets up the container's network) and returns its output.
func (e *Engine) Docker(args ...string) (string, error) {
	return e.dockerIn(args...)
}

func (e *Engine) dockerIn(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.cli[0], append(e.cli[1:], args...)...)
	cmd.Env = append(os.Environ(), e.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", e.Engine, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// InNS returns a command that runs name inside the engine's namespace
// (with every thread there: nsenter switches before exec).
func (e *Engine) InNS(name string, args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=" + e.nsPath(), "--", name}, args...)...)
}

// importImage makes Image from a root filesystem of busybox and links to
// it: sh, httpd, nc, sleep.
func (e *Engine) importImage() error {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	hdrs := []*tar.Header{{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: now}, {Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777, ModTime: now}}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: now}); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
	}
	for _, l := range []string{"sh", "httpd", "nc", "sleep"} {
		if err := tw.WriteHeader(&tar.Header{Name: "bin/" + l, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777, ModTime: now}); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	tarPath := filepath.Join(e.Dir, "rootfs.tar")
	if err := os.WriteFile(tarPath, buf.Bytes(), 0o600); err != nil {
		return err
	}
	_, err = e.Docker("import", tarPath, Image)
	return err
}

// Close removes every container, stops dockerd (TERM, then KILL after
// 15s), unmounts what it left under Dir, and deletes Dir, the namespace
// and the cgroups it made.
func (e *Engine) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	if e.cmd != nil && e.cmd.Process != nil {
		if ids, err := e.Docker("ps", "-aq"); err == nil && ids != "" {
			if _, err := e.Docker(append([]string{"rm", "-f"}, strings.Fields(ids)...)...); err != nil {
				errs = append(errs, err)
			}
		}
		syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-e.done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
			<-e.done
		}
		// dockerd's containerd and shims leave with it; anything left in
		// the namespace is ended with it.
		killIn(e.NetNS)
	}
	unmountUnder(e.Dir)
	if err := os.RemoveAll(e.Dir); err != nil {
		errs = append(errs, err)
	}
	for i := len(e.leftDirs) - 1; i >= 0; i-- {
		os.Remove(e.leftDirs[i]) // a directory only when empty: deepest first
	}
	if e.cgroupsBefore != nil {
		removeEmpty(cgroupDirs(), e.cgroupsBefore)
	}
	if err := run("ip", "netns", "del", e.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (e *Engine) logTail() string {
	b, _ := os.ReadFile(filepath.Join(e.Dir, "dockerd.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}

// killIn sends SIGKILL to every process still in namespace ns.
func killIn(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// reapStale removes what a killed test run left: namespaces of this
// package whose creator is gone, with the processes still in them, then
// their directories (unmounted first).
func reapStale() {
	ents, _ := os.ReadDir("/run/netns")
	reaped := false
	for _, ent := range ents {
		if stale(ent.Name(), nsPrefix) {
			killIn(ent.Name())
			run("ip", "netns", "del", ent.Name())
			reaped = true
		}
	}
	if reaped {
		// Its engine's cgroup directories, once empty (an empty one is
		// made again by any engine that needs it).
		removeEmpty(cgroupDirs(), nil)
	}
	ents, _ = os.ReadDir(os.TempDir())
	for _, ent := range ents {
		if ent.IsDir() && stale(ent.Name(), dirPrefix) {
			dir := filepath.Join(os.TempDir(), ent.Name())
			unmountUnder(dir)
			os.RemoveAll(dir)
		}
	}
}

// stale: name is prefix, a pid and more, and that pid is gone.
func stale(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
	if err != nil || pid <= 0 {
		return false
	}
	st, err := procfs.ReadStat(pid) // a killed run may linger as a zombie
	return procfs.IsGone(err) || err == nil && st.Exited()
}

// unmountUnder lazily unmounts every mount below dir, deepest first.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var mounts []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			mounts = append(mounts, f[4])
		}
	}
	for i := len(mounts) - 1; i >= 0; i-- {
		syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}

// cgroupDirs lists the engines' cgroup directories of every hierarchy.
func cgroupDirs() map[string]bool {
	m := map[string]bool{}
	for _, pat := range []string{"/sys/fs/cgroup/*/docker", "/sys/fs/cgroup/docker", "/sys/fs/cgroup/*/libpod_parent", "/sys/fs/cgroup/*/libpod_parent/conmon"} {
		dirs, _ := filepath.Glob(pat)
		for _, d := range dirs {
			m[d] = true
		}
	}
	return m
}

// removeEmpty removes the cgroup directories of dirs not in keep, children
// first; a directory still holding processes or children stays.
func removeEmpty(dirs, keep map[string]bool) {
	var rm []string
	for d := range dirs {
		if !keep[d] {
			rm = append(rm, d)
		}
	}
	sort.Slice(rm, func(i, j int) bool { return len(rm[i]) > len(rm[j]) })
	for _, d := range rm {
		os.Remove(d)
	}
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// ping reports whether an engine answers GET /_ping on the unix socket.
func ping(sock string) bool {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n")); err != nil {
		return false
	}
	b := make([]byte, 12)
	n, _ := io.ReadFull(c, b)
	return n == 12 && strings.HasPrefix(string(b), "HTTP/1.") && strings.HasSuffix(string(b), "200")
}

// notBefore records, of paths (parents first), those that do not exist yet.
func (e *Engine) notBefore(paths ...string) {
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			e.leftDirs = append(e.leftDirs, p)
		}
	}
}
