package sockets

import (
	"context"
	"errors"
	"os"

	"github.com/portolan-dev/portolan"
	"golang.org/x/sys/unix"
)

// list dumps the sockets q selects and, when asked, finds their owners.
func list(ctx context.Context, q query) ([]portolan.Socket, error) {
	var early *ownerScan
	var scanned chan error
	if q.withOwners && q.pid == 0 && q.proc == "" && q.lo == 0 && q.hi == portolan.MaxPort {
		// Every port: the owners are most of the sockets on the host, so
		// /proc is read while the kernel dumps the socket table.
		early, scanned = newEarlyScan(), make(chan error, 1)
		go func() { scanned <- early.run(ctx) }()
	}
	socks, err := dump(ctx, &q)
	if early != nil {
		if err != nil {
			early.want(nil) // stops the scan
		} else {
			early.want(socks)
		}
		if serr := <-scanned; err == nil {
			err = serr
		}
	}
	if err != nil {
		return nil, err
	}
	if q.withOwners && len(socks) > 0 {
		if err := attachOwners(ctx, &q, socks, early); err != nil {
			return nil, err
		}
		socks = q.keepOwned(socks)
	}
	sortSockets(socks)
	return socks, nil
}

// table is one (protocol, family) socket table.
type table struct {
	proto  portolan.Proto
	ipp    uint8 // IPPROTO_TCP or IPPROTO_UDP
	family uint8 // AF_INET or AF_INET6
	file   string
}

var tables = [...]table{
	{portolan.TCP, unix.IPPROTO_TCP, unix.AF_INET, "/proc/net/tcp"},
	{portolan.TCP, unix.IPPROTO_TCP, unix.AF_INET6, "/proc/net/tcp6"},
	{portolan.UDP, unix.IPPROTO_UDP, unix.AF_INET, "/proc/net/udp"},
	{portolan.UDP, unix.IPPROTO_UDP, unix.AF_INET6, "/proc/net/udp6"},
}

// selects reports whether q needs table t, and with which state mask.
func (q *query) selects(t table) (uint32, bool) {
	if t.family == unix.AF_INET && !q.v4 || t.family == unix.AF_INET6 && !q.v6 {
		return 0, false
	}
	switch {
	case t.proto == portolan.TCP && q.tcp && q.tcpStates != 0:
		return q.tcpStates, true
	case t.proto == portolan.UDP && q.udp && q.udpStates != 0:
		return q.udpStates, true
	}
	return 0, false
}

// dump reads every table q selects, from netlink or, table by table, from
// /proc/net when netlink is refused (q.procNet forces that for tests).
func dump(ctx context.Context, q *query) ([]portolan.Socket, error) {
	var c *diagConn
	if !q.procNet {
		var err error
		if c, err = openDiag(); err != nil && !errors.Is(err, errRefused) {
			return nil, err
		}
		if c != nil {
			defer c.close()
		}
	}
	var socks []portolan.Socket
	for _, t := range tables {
		states, ok := q.selects(t)
		if !ok {
			continue
		}
		keep := func(e *diagEntry) bool {
			s := e.socket(t.proto)
			if q.wants(&s, e.state) {
				socks = append(socks, s)
			}
			return true
		}
		if c != nil {
			err := c.dump(ctx, t.family, t.ipp, states, uint16(q.lo), uint16(q.hi), keep)
			if err == nil {
				continue
			} else if !errors.Is(err, errRefused) {
				return nil, err
			}
		}
		if err := readProcNet(q.tableFile(t), keep); err != nil {
			return nil, err
		}
	}
	return socks, nil
}

// readProcNet parses one /proc/net table; a missing table (IPv6 disabled)
// is empty.
func readProcNet(path string, fn func(*diagEntry) bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return portolan.Errorf(portolan.EUNSUPPORTED, "cannot read the socket table: netlink sock_diag was refused and %s: %v", path, err)
	}
	defer f.Close()
	return parseProcNet(f, nativeLittle, func(e *diagEntry) { fn(e) })
}

// attachOwners finds the process holding each socket and fills Owner, or
// Hidden when /proc would not show it.
func attachOwners(ctx context.Context, q *query, socks []portolan.Socket, sc *ownerScan) error {
	if sc == nil {
		sc = newOwnerScan(socks, false)
		sc.onlyPID, sc.onlyName = q.pid, q.proc
		if err := sc.run(ctx); err != nil {
			return err
		}
	}
	euid := uint32(os.Geteuid())
	fullScan := q.pid == 0 && q.proc == ""
	procs := map[int32]*portolan.Process{}
	for i := range socks {
		s := &socks[i]
		pid := sc.owner(s.Inode)
		if pid == 0 {
			// Not found: another user's process that /proc refused to
			// open or hides (hidepid), or no process at all (a socket
			// being torn down).
			s.Hidden = fullScan && s.Inode != 0 && (sc.denied.Load() > 0 || euid != 0 && s.UID != euid)
			continue
		}
		s.Owner = processOf(pid, procs)
	}
	return nil
}

// processOf reads a process once per call and shares it among its sockets.
func processOf(pid int32, procs map[int32]*portolan.Process) *portolan.Process {
	if p, ok := procs[pid]; ok {
		return p
	}
	p, err := readProcess(int(pid))
	if err != nil { // it exited after the scan: keep the pid
		p = &portolan.Process{PID: int(pid)}
	}
	procs[pid] = p
	return p
}

// Holders returns every (socket, process) pair for the listening sockets on
// exactly port p: a socket shared by a parent and its forked workers is
// returned once per process, so a caller that must close the port sees
// them all. It reads every process's descriptors, so it costs what `ss -p`
// costs; Owners is the cheap form.
func Holders(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	if p == 0 {
		return nil, portolan.Errorf(portolan.EINVALID, "port 0 cannot be listened on: want a port 1-65535")
	}
	f := Filter{Port: p}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	q, err := compile(f)
	if err != nil {
		return nil, err
	}
	socks, err := dump(ctx, &q)
	if err != nil || len(socks) == 0 {
		return nil, err
	}
	sc := newOwnerScan(socks, true)
	if err := sc.run(ctx); err != nil {
		return nil, err
	}
	byInode := map[uint64][]int32{}
	for _, h := range sc.holders {
		byInode[h.inode] = append(byInode[h.inode], h.pid)
	}
	euid := uint32(os.Geteuid())
	procs := map[int32]*portolan.Process{}
	var out []portolan.Socket
	for _, s := range socks {
		pids := byInode[s.Inode]
		if len(pids) == 0 {
			s.Hidden = s.Inode != 0 && (sc.denied.Load() > 0 || euid != 0 && s.UID != euid)
			out = append(out, s)
			continue
		}
		for _, pid := range pids {
			s.Owner = processOf(pid, procs)
			out = append(out, s)
		}
	}
	sortSockets(out)
	return out, nil
}

// exists reports whether a socket has local port p: listening ones, or any
// state when anyState is set. The kernel filters by port; the first match ends
// the dump.
func exists(ctx context.Context, p portolan.Port, proto portolan.Proto, anyState bool) (bool, error) {
	f := Filter{Port: p, All: anyState}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	q, err := compile(f)
	if err != nil {
		return false, err
	}
	if anyState {
		// TCP sockets bound but not listening hold the port too; Linux
		// 6.5+ reports them under a pseudo state, older kernels ignore it.
		q.tcpStates |= 1 << stBoundInactive
	}
	c, err := openDiag()
	if err != nil && !errors.Is(err, errRefused) {
		return false, err
	}
	if c != nil {
		defer c.close()
	}
	found := false
	for _, t := range tables {
		states, ok := q.selects(t)
		if !ok || found {
			continue
		}
		match := func(e *diagEntry) bool {
			if s := e.socket(t.proto); q.wants(&s, e.state) {
				found = true
			}
			return !found
		}
		if c != nil {
			err := c.dump(ctx, t.family, t.ipp, states, uint16(p), uint16(p), match)
			if err == nil {
				continue
			} else if !errors.Is(err, errRefused) {
				return false, err
			}
		}
		if err := readProcNet(t.file, match); err != nil {
			return false, err
		}
	}
	return found, nil
}
