//go:build !unix

package pgtest

import "os/exec"

// osUser is the account initdb and pg_ctl run as on Unix, where initdb
// refuses root; elsewhere there is no root to step down from.
type osUser struct{ uid, gid int }

func (u *osUser) apply(*exec.Cmd) {}
