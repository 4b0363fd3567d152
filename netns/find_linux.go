package netns

import (
	"bufio"
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/holder"
	"github.com/portolan-dev/portolan/internal/procfs"
	"golang.org/x/sys/unix"
)

// nsGetType is NS_GET_NSTYPE (linux/nsfs.h): which kind of namespace a
// file is.
const nsGetType = 0xb703

// Where ip netns and docker keep namespace files. Docker's exec-root can be
// moved (dockerd --exec-root), so nsfs mounts anywhere count too.
var (
	namedDirs  = []string{"/run/netns", "/var/run/netns"}
	dockerDirs = []string{"/run/docker/netns", "/var/run/docker/netns"}
	mountInfo  = "/proc/self/mountinfo"
)

// Find lists every network namespace of the host, this process's first,
// then the named ones, then the rest by inode.
func Find() ([]NS, error) {
	self, err := inodeOf("/proc/self/ns/net")
	if err != nil {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "cannot read this process's network namespace: %v", err)
	}
	found := map[uint64]*NS{self: {NetNS: portolan.NetNS{Inode: self, Context: "host"}, Path: "/proc/self/ns/net", Host: true}}
	add := func(path, name string) {
		ino, err := inodeOf(path)
		if err != nil {
			return
		}
		ns := found[ino]
		if ns == nil {
			ns = &NS{NetNS: portolan.NetNS{Inode: ino}, Path: path}
			found[ino] = ns
		}
		if ns.Name == "" && name != "" {
			ns.Name = name
			if !ns.Host {
				ns.Path = path
			}
		}
	}
	for _, d := range namedDirs {
		for _, e := range readDir(d) {
			add(filepath.Join(d, e), e)
		}
	}
	for _, d := range dockerDirs {
		for _, e := range readDir(d) {
			add(filepath.Join(d, e), "")
		}
	}
	for _, m := range nsfsMounts() {
		name := ""
		if slices.Contains(namedDirs, filepath.Dir(m)) {
			name = filepath.Base(m)
		}
		add(m, name)
	}
	// Processes last: a namespace with a file keeps the file as its path
	// (it outlives any one process); the lowest pid in each gives context.
	for _, pid := range pids() {
		path := procfs.Path(pid, "ns/net")
		ino, err := inodeOf(path)
		if err != nil {
			continue
		}
		ns := found[ino]
		if ns == nil {
			ns = &NS{NetNS: portolan.NetNS{Inode: ino}, Path: path}
			found[ino] = ns
		}
		if ns.PID == 0 {
			ns.PID = pid
		}
	}
	out := make([]NS, 0, len(found))
	for _, ns := range found {
		describe(ns)
		out = append(out, *ns)
	}
	slices.SortFunc(out, func(a, b NS) int {
		switch {
		case a.Host != b.Host:
			return boolOrder(a.Host)
		case (a.Name != "") != (b.Name != ""):
			return boolOrder(a.Name != "")
		case a.Name != b.Name:
			return strings.Compare(a.Name, b.Name)
		}
		return cmp.Compare(a.Inode, b.Inode)
	})
	return out, nil
}

func boolOrder(first bool) int {
	if first {
		return -1
	}
	return 1
}

// describe fills a namespace's context from its lowest process: the
// container or pod it runs in, else its pid and name.
func describe(ns *NS) {
	if ns.PID == 0 {
		return
	}
	if st, err := procfs.ReadStat(ns.PID); err == nil {
		ns.Comm = st.Comm
	}
	if ns.Host {
		return
	}
	if b, err := os.ReadFile(procfs.Path(ns.PID, "cgroup")); err == nil {
		c, pod, _ := holder.FromCgroup(string(b))
		if l := holder.Label(portolan.Holder{Container: c, Pod: pod}); l != "" {
			ns.Context = l
			return
		}
	}
	ns.Context = "pid " + strconv.Itoa(ns.PID) + " (" + ns.Comm + ")"
}

// Select resolves a --netns value: all, an ip netns name, a pid or a
// namespace file.
func Select(spec string) ([]NS, error) {
	bad := func(why string) error {
		return portolan.Errorf(portolan.EINVALID, "--netns %q: %s: want %s", spec, why, Forms)
	}
	var path string
	switch {
	case spec == "":
		return nil, bad("empty")
	case spec == "all":
		return Find()
	case strings.Trim(spec, "0123456789") == "":
		pid, err := strconv.Atoi(spec)
		if err != nil || pid <= 0 {
			return nil, bad("not a process id")
		}
		path = procfs.Path(pid, "ns/net")
		if _, err := inodeOf(path); err != nil {
			return nil, bad("no process " + spec + " whose namespace this user can read")
		}
	case strings.Contains(spec, "/"):
		path = spec
	default:
		if spec == "." || spec == ".." {
			return nil, bad("not a name")
		}
		path = filepath.Join(namedDirs[0], spec)
		if _, err := os.Stat(path); err != nil {
			return nil, bad("no such ip netns name (ip netns list)")
		}
	}
	ino, err := netInode(path)
	if err != nil {
		return nil, bad(err.Error())
	}
	all, err := Find()
	if err != nil {
		return nil, err
	}
	for _, ns := range all {
		if ns.Inode == ino {
			if !ns.Host {
				ns.Path = path
			}
			return []NS{ns}, nil
		}
	}
	return []NS{{NetNS: portolan.NetNS{Inode: ino}, Path: path}}, nil
}

// netInode checks that path is a network namespace and returns its inode.
func netInode(path string) (uint64, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, errors.New("cannot open it: " + err.Error())
	}
	defer unix.Close(fd)
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil || sfs.Type != unix.NSFS_MAGIC {
		return 0, errors.New("not a namespace file")
	}
	if t, err := unix.IoctlRetInt(fd, nsGetType); err != nil || t != unix.CLONE_NEWNET {
		return 0, errors.New("not a network namespace")
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

func inodeOf(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

func readDir(dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(es))
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// pids lists the processes in /proc in ascending order.
func pids() []int {
	f, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	out := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

// nsfsMounts returns the mount points of network namespace files
// (mountinfo: root "net:[INODE]", file system type nsfs).
func nsfsMounts() []string {
	f, err := os.Open(mountInfo)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 || !strings.HasPrefix(fs[3], "net:[") {
			continue
		}
		if i := slices.Index(fs, "-"); i < 0 || i+1 >= len(fs) || fs[i+1] != "nsfs" {
			continue
		}
		out = append(out, unescape(fs[4]))
	}
	return out
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
