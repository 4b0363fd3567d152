package lease

import (
	"os"
	"strings"
)

// HostID names the machine a lease is for, stably across restarts and
// distinct between machines sharing one store: the machine-id (systemd's,
// or D-Bus's; the host name where neither exists) plus the inodes of this
// process's pid and network namespaces. A lease's owner PID means
// something only in its pid namespace and its port only in its network
// namespace, so two containers on one machine are two hosts; the host name
// is not used, as two machines can share one and a rename must not orphan
// leases.
func HostID() string {
	id := ""
	for _, f := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(f); err == nil {
			if id = strings.TrimSpace(string(b)); id != "" {
				break
			}
		}
	}
	if id == "" {
		h, _ := os.Hostname()
		id = "host:" + h
	}
	for _, ns := range []string{"pid", "net"} {
		// "pid:[4026531836]" on Linux; nothing elsewhere.
		if l, err := os.Readlink("/proc/self/ns/" + ns); err == nil {
			id += "/" + strings.NewReplacer("[", "", "]", "").Replace(l)
		}
	}
	return id
}
