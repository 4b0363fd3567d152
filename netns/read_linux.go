package netns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/sockets"
	"golang.org/x/sys/unix"
)

// errGone: the namespace ended (its last process exited, its file was
// removed) between Find and the read.
var errGone = errors.New("the namespace is gone")

// parallel bounds how many namespaces are read at once: each read holds a
// locked OS thread.
func parallel() int { return max(2, min(8, 2*runtime.GOMAXPROCS(0))) }

// Sockets lists the sockets f selects in every namespace of nss, each
// tagged with its namespace, owners found by one /proc scan over all of
// them. A namespace that ends while it is read is left out when several
// are read, and an error when it is the only one.
func Sockets(ctx context.Context, nss []NS, f sockets.Filter) ([]portolan.Socket, error) {
	return read(ctx, nss, f, false)
}

// read is Sockets; lenient leaves out every namespace that cannot be read.
func read(ctx context.Context, nss []NS, f sockets.Filter, lenient bool) ([]portolan.Socket, error) {
	dumpF := f
	dumpF.PID, dumpF.Proc, dumpF.WithOwners = 0, "", false
	got := make([][]portolan.Socket, len(nss))
	errs := make([]error, len(nss))
	sem := make(chan struct{}, parallel())
	var wg sync.WaitGroup
	for i := range nss {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ns := &nss[i]
			read := func() error {
				var err error
				got[i], err = sockets.DumpHere(ctx, dumpF)
				return err
			}
			if ns.Host {
				errs[i] = read()
			} else {
				errs[i] = Within(ns.Path, ns.Inode, read)
			}
			tag := ns.NetNS
			for j := range got[i] {
				got[i][j].NetNS = &tag
			}
		}()
	}
	wg.Wait()
	var all []portolan.Socket
	for i, err := range errs {
		switch {
		case err == nil:
			all = append(all, got[i]...)
		case lenient, errors.Is(err, errGone) && len(nss) > 1:
		default:
			return nil, fmt.Errorf("network namespace %s: %w", nss[i].Label(), err)
		}
	}
	return sockets.AttachOwners(ctx, f, all)
}

// Within runs fn on an OS thread that has entered the network namespace at
// path (whose inode must be inode, when not 0), then returns the thread to
// this process's namespace. If the thread cannot return, it stays locked
// to its goroutine and the runtime ends it with the goroutine: no code of
// this program runs in the foreign namespace afterwards. fn runs on that
// one thread: it must not hand work to other goroutines that depend on
// the namespace.
func Within(path string, inode uint64, fn func() error) error {
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
		return errGone
	} else if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(target)
	if inode != 0 {
		var st unix.Stat_t
		if err := unix.Fstat(target, &st); err != nil || st.Ino != inode {
			return errGone // the pid now belongs to another process
		}
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("cannot open this thread's network namespace: %w", err)
			return
		}
		defer unix.Close(home)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			if errors.Is(err, unix.EPERM) {
				done <- portolan.Errorf(portolan.EFORBIDDEN, "cannot enter the network namespace %s: that needs root (CAP_SYS_ADMIN)", path)
			} else {
				done <- fmt.Errorf("cannot enter %s: %w", path, err)
			}
			return
		}
		ferr := fn()
		if err := unix.Setns(home, unix.CLONE_NEWNET); err != nil {
			// Still locked: the thread exits with this goroutine.
			done <- fmt.Errorf("cannot return from %s: %w", path, err)
			return
		}
		runtime.UnlockOSThread()
		done <- ferr
	}()
	return <-done
}

// Elsewhere lists the listening sockets on port p in every network
// namespace of the host but this process's own, with owners and their
// namespace: `portolan why` reports them as not in the way of a bind here.
func Elsewhere(ctx context.Context, p portolan.Port, proto portolan.Proto) ([]portolan.Socket, error) {
	all, err := Find()
	if err != nil {
		return nil, err
	}
	others := all[:0]
	for _, ns := range all {
		if !ns.Host {
			others = append(others, ns)
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	f := sockets.Filter{Port: p, WithOwners: true}
	if proto != portolan.ProtoAny {
		f.Protos = []portolan.Proto{proto}
	}
	// Namespaces this user may not enter are left out: why is still
	// right about this one.
	return read(ctx, others, f, true)
}
