package holder

import "testing"

// The supervisors as /proc shows them (command lines taken from real pm2
// 7, nodemon 3 and Debian's supervisord 4), and look-alikes that are not.
func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		comm string
		argv []string
		want string
	}{
		{"PM2 v7.0.4: God", []string{"PM2 v7.0.4: God Daemon (/home/ann/.pm2)", "", ""}, "pm2"},
		{"node", []string{"node", "/opt/portolan-test-npm/node_modules/.bin/nodemon", "--quiet", "srv.js"}, "nodemon"},
		{"node", []string{"node", "/usr/lib/node_modules/nodemon/bin/nodemon.js", "app.js"}, "nodemon"},
		{"supervisord", []string{"/usr/bin/python3", "/usr/bin/supervisord", "-c", "/etc/supervisor/supervisord.conf"}, "supervisord"},
		{"runsv", []string{"runsv", "nginx"}, "runit"},
		{"node", []string{"node", "server.js", "--title", "nodemon-docs"}, ""},
		{"vim", []string{"vim", "supervisord.conf"}, ""},
		{"bash", []string{"bash"}, ""},
	} {
		if got := kindOf(c.comm, c.argv); got != c.want {
			t.Errorf("kindOf(%q, %q) = %q, want %q", c.comm, c.argv, got, c.want)
		}
	}
}

// Stop commands are pasted into a shell: names and paths with spaces or
// shell characters are quoted, a default PM2_HOME is left out.
func TestStopCommandQuotes(t *testing.T) {
	if got := stopCommand("supervisord", 9, []string{"/usr/bin/python3", "/usr/bin/supervisord", "--configuration=/tmp/my conf/s.conf"}, -1); got != "supervisorctl -c '/tmp/my conf/s.conf' stop NAME" {
		t.Errorf("supervisord stop = %q", got)
	}
	if got := stopCommand("pm2", 9, []string{"PM2 v7.0.4: God Daemon (/home/ann/.pm2)"}, -1); got != "pm2 stop NAME" {
		t.Errorf("pm2 stop with the default home = %q", got)
	}
	if got := stopCommand("pm2", 9, []string{"PM2 v7.0.4: God Daemon (/srv/x;y)"}, -1); got != "PM2_HOME='/srv/x;y' pm2 stop NAME" {
		t.Errorf("pm2 stop with another home = %q", got)
	}
	if got := quote("it's"); got != `'it'\''s'` {
		t.Errorf("quote(it's) = %s", got)
	}
}
