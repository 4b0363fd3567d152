package http

import (
	"context"
	"path"
	"strings"

	"github.com/portolan-dev/portolan"
)

// What callers may see of the processes behind sockets. Every local user
// may read /proc/PID/cmdline, but over HTTP a read token or a browser on
// another host would see command lines of every user's processes, and
// with them any secret passed in argv. So command lines and login names
// go to admin tokens only, and even they get them with secret-looking
// arguments masked.

// RoleOf returns the role of the bearer token a request carried: RoleAdmin,
// RoleRead, or 0 for an anonymous read.
func RoleOf(ctx context.Context) Role { return callerOf(ctx).token.role }

// redactSockets returns socks as role may see them: admin gets the owners'
// command lines with secrets masked (redactArgs); others get the pid, the
// process name and its uid only, no command line or login name. socks is
// not changed (it is shared by concurrent readers); owners are copied.
func redactSockets(socks []portolan.Socket, role Role) []portolan.Socket {
	out := make([]portolan.Socket, len(socks))
	for i, sk := range socks {
		if o := sk.Owner; o != nil {
			p := *o
			p.User = ""
			p.Cmdline = nil
			if role == RoleAdmin {
				p.User, p.Cmdline = o.User, redactArgs(o.Cmdline)
			} else {
				p.Holder = redactHolder(o.Holder)
			}
			sk.Owner = &p
		}
		if e := sk.Exposure; e != nil && role != RoleAdmin && e.Rule != "" {
			r := *e
			r.Rule = "" // the firewall's rule text describes the host's defences
			sk.Exposure = &r
		}
		out[i] = sk
	}
	return out
}

// redactHolder returns h as a reader who is not admin may see it. What
// the program is (container, pod, unit, supervisor kind and pid, orphan,
// age) is kept: it is what the page is for, and names no person. A
// checkout's paths name home directories and a branch names work in
// progress: readers get the worktree's base name ("shop", not
// "/home/ann/src/shop") and no branch. A supervisor's stop command names
// its config file or PM2_HOME: admin only.
func redactHolder(h *portolan.Holder) *portolan.Holder {
	if h == nil {
		return nil
	}
	c := *h
	if s := h.Supervisor; s != nil {
		c.Supervisor = &portolan.Supervisor{PID: s.PID, Kind: s.Kind}
	}
	if p := h.Project; p != nil {
		c.Project = &portolan.ProjectDir{Top: path.Base(p.Top), Worktree: path.Base(p.Worktree)}
	}
	return &c
}

// masked replaces a secret.
const masked = "xxxxx"

// redactArgs returns args with secret-looking values masked:
//
//   - the value of a flag whose name says token, pass(word), secret, key,
//     auth, credential, cookie or session: "--admin-token X", "--password=X"
//     (names ending in file, path or dir hold a location, and are kept);
//   - NAME=VALUE and "NAME: VALUE" inside an argument with such a name
//     (PGPASSWORD=X, "password=X host=db", "Authorization: Bearer X");
//   - the password of user:password@ in a URL or DSN.
//
// It is a best effort over conventions: a secret in a positional argument
// or an unusual flag cannot be recognised.
func redactArgs(args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := make([]string, len(args))
	maskNext := false
	for i, a := range args {
		switch {
		case maskNext && !strings.HasPrefix(a, "--"):
			a, maskNext = masked, false
			out[i] = a
			continue
		case maskNext:
			maskNext = false
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if secretName(name) {
				if hasValue {
					out[i] = a[:strings.IndexByte(a, '=')+1] + masked
				} else {
					out[i], maskNext = a, true
				}
				continue
			}
		}
		out[i] = redactText(a)
	}
	return out
}

// redactText masks NAME=VALUE and "NAME: VALUE" pairs with a secret name
// and URL passwords inside one argument.
func redactText(a string) string {
	for _, sep := range []string{"=", ":"} {
		var b strings.Builder
		rest := a
		changed := false
		for {
			j := strings.Index(rest, sep)
			if j < 0 {
				break
			}
			k := j // start of the name before sep
			for k > 0 && isNameByte(rest[k-1]) {
				k--
			}
			vstart := j + len(sep)
			if !secretName(rest[k:j]) || sep == ":" && strings.HasPrefix(rest[vstart:], "//") {
				b.WriteString(rest[:vstart])
				rest = rest[vstart:]
				continue
			}
			for vstart < len(rest) && rest[vstart] == ' ' && sep == ":" {
				vstart++
			}
			end := vstart
			for end < len(rest) && !strings.ContainsRune(valueEnd(sep), rune(rest[end])) {
				end++
			}
			if sep == ":" { // "Authorization: Bearer X": the whole rest is the value
				end = len(rest)
			}
			b.WriteString(rest[:vstart])
			b.WriteString(masked)
			rest, changed = rest[end:], true
		}
		if changed {
			b.WriteString(rest)
			a = b.String()
		}
	}
	return redactURLPasswords(a)
}

// valueEnd lists the bytes that end a NAME=VALUE value: the separators of
// query strings, libpq keyword DSNs and shell-like lists.
func valueEnd(sep string) string {
	if sep == "=" {
		return " &;,\t"
	}
	return ""
}

// redactURLPasswords masks the password of every scheme://user:password@.
func redactURLPasswords(a string) string {
	var b strings.Builder
	rest, changed := a, false
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			break
		}
		auth := rest[i+3:]
		end := strings.IndexAny(auth, "/?# ")
		if end < 0 {
			end = len(auth)
		}
		at := strings.LastIndexByte(auth[:end], '@')
		colon := -1
		if at >= 0 {
			colon = strings.IndexByte(auth[:at], ':')
		}
		if colon < 0 {
			b.WriteString(rest[:i+3])
			rest = auth
			continue
		}
		b.WriteString(rest[:i+3+colon+1])
		b.WriteString(masked)
		rest, changed = auth[at:], true
	}
	if !changed {
		return a
	}
	b.WriteString(rest)
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '-' || c == '_' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// secretName reports whether a flag or variable name suggests a secret
// value.
func secretName(name string) bool {
	n := strings.ToLower(name)
	if n == "" || strings.HasSuffix(n, "file") || strings.HasSuffix(n, "path") || strings.HasSuffix(n, "dir") {
		return false
	}
	for _, w := range []string{"token", "pass", "pwd", "secret", "key", "auth", "credential", "cookie", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
