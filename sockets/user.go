package sockets

import (
	"os/user"
	"strconv"
	"sync"
)

var users sync.Map // uint32 -> string

// UserName returns the login name of uid, or the uid in decimal when the
// user database does not know it. Results are cached per process.
func UserName(uid uint32) string {
	if v, ok := users.Load(uid); ok {
		return v.(string)
	}
	name := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(name); err == nil && u.Username != "" {
		name = u.Username
	}
	users.Store(uid, name)
	return name
}
