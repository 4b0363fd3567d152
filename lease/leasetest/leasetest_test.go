package leasetest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

func TestPortAndListen(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	t.Setenv("PORTOLAN_TEST_LEASES", dir)
	t.Setenv("PORTSERVER_ADDRESS", "")
	t.Run("take", func(t *testing.T) {
		seen := map[portolan.Port]bool{}
		for range 5 {
			p := Port(t)
			if seen[p] {
				t.Fatalf("Port returned %d twice", p)
			}
			seen[p] = true
		}
		ln := Listen(t)
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Write([]byte("hi"))
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil || string(buf) != "hi" {
			t.Errorf("read %q, %v from the helper's listener", buf, err)
		}
		c.Close()
	})
	// The subtest's cleanups released its leases.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if ls, _ := (&dirStore{dir: dir}).Leases(ctx); len(ls) != 0 {
		t.Errorf("leases left after the test ended: %v", ls)
	}
}

// A lease directory someone planted is refused, and a planted lock
// symlink is never followed: its target stays as it was.
func TestLeaseDirRefusesPlantedFiles(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(base, "planted")
	if err := os.Mkdir(planted, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(planted, "lock")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORTSERVER_ADDRESS", "")
	t.Setenv("PORTOLAN_TEST_LEASES", planted)
	a, err := newService()
	if err != nil {
		t.Fatalf("a directory of ours with mode 0700 was refused: %v", err)
	}
	_, err = a.Grant(context.Background(), portolan.LeaseRequest{PID: os.Getpid()})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("grant through a planted lock symlink: error %v, want a refusal naming the symbolic link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("the symlink's target was changed to %q", b)
	}

	// The directory itself: a symlink, a world-writable one, another user's.
	link := filepath.Join(base, "link")
	os.Symlink(planted, link)
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	for dir, want := range map[string]string{link: "symbolic link", open: "mode 0777", victim: "not a directory"} {
		t.Setenv("PORTOLAN_TEST_LEASES", dir)
		if _, err := Dir(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lease directory %s: error %v, want one saying %q", dir, err, want)
		}
	}
	if os.Geteuid() == 0 {
		theirs := filepath.Join(base, "theirs")
		os.Mkdir(theirs, 0o700)
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PORTOLAN_TEST_LEASES", theirs)
		if _, err := Dir(); err == nil || !strings.Contains(err.Error(), "another user") {
			t.Errorf("another user's lease directory: error %v, want a refusal", err)
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("the victim file was changed to %q", b)
	}
}

// Without PORTOLAN_TEST_LEASES the directory is the user's own, never a
// predictable name in the shared temporary directory.
func TestDefaultLeaseDirIsPrivate(t *testing.T) {
	t.Setenv("PORTOLAN_TEST_LEASES", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", "")
	d, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d, home+string(filepath.Separator)) {
		t.Errorf("lease directory %s is not under the user's home %s", d, home)
	}
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("lease directory %s: %v, %v; want a directory with mode 0700", d, fi.Mode(), err)
	}
}
