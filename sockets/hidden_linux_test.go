package sockets

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testutil/nobody"
	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

const envListPort = "PORTOLAN_SOCKETS_TEST_OWNERS"

// ownersMain runs Owners for a port and prints the JSON, when the test
// binary is re-executed as another user.
func ownersMain() {
	v, ok := os.LookupEnv(envListPort)
	if !ok {
		return
	}
	p := portolan.MustParsePort(v)
	socks, err := Owners(context.Background(), p, portolan.TCP)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(socks)
	os.Exit(0)
}

// exeForNobody copies the test binary where uid 65534 can run it.
func exeForNobody(t *testing.T) string {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run processes as uid 65534 (CI runs as root)")
	}
	return nobody.Exe(t, "sockets.test")
}

// TestHiddenOwnerReportsSocketUID lists, as uid 65534, a port that a root
// process holds: /proc refuses that process's descriptors, so the socket
// must come back with uid 0 and Hidden set, not an error.
func TestHiddenOwnerReportsSocketUID(t *testing.T) {
	exe := exeForNobody(t)
	child := sockhold.Start(t, "tcp:127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envListPort+"="+strconv.Itoa(int(child.Ports[0])))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody.UID, Gid: nobody.UID}}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("Owners as uid %d: %v", nobody.UID, err)
	}
	var socks []portolan.Socket
	if err := json.Unmarshal(out, &socks); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if len(socks) != 1 || !socks[0].Hidden || socks[0].Owner != nil || socks[0].UID != 0 {
		t.Fatalf("as uid %d, Owners(%d) = %s; want one socket, uid 0, pid hidden", nobody.UID, child.Ports[0], out)
	}
}

// TestOwnerOfAnotherUser checks the other way round: root sees the
// process of uid 65534 and names its user.
func TestOwnerOfAnotherUser(t *testing.T) {
	exe := exeForNobody(t)
	child := sockhold.StartExe(t, exe, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody.UID, Gid: nobody.UID}}, "tcp:127.0.0.1:0")
	socks, err := Owners(ctxT(t), child.Ports[0], portolan.TCP)
	if err != nil || len(socks) != 1 || socks[0].Owner == nil {
		t.Fatalf("Owners(%d) = %+v, %v; want the uid %d child", child.Ports[0], socks, err, nobody.UID)
	}
	o := socks[0].Owner
	if o.PID != child.PID || o.UID != nobody.UID || o.User != UserName(nobody.UID) || socks[0].UID != nobody.UID || socks[0].Hidden {
		t.Errorf("owner %+v of socket %+v; want pid %d, uid and user of %d", o, socks[0], child.PID, nobody.UID)
	}
}
