//go:build unix

package pgtest

import (
	"os/exec"
	"syscall"
)

// osUser is the account initdb and pg_ctl run as: initdb refuses root.
type osUser struct{ uid, gid int }

func (u *osUser) apply(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}}
}
