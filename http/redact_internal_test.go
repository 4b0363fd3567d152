package http

import (
	"slices"
	"strings"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"portolan", "serve", "--admin-token", "s3cret-admin-token", "--listen", "0.0.0.0:7780"},
			[]string{"portolan", "serve", "--admin-token", masked, "--listen", "0.0.0.0:7780"}},
		{[]string{"portolan", "serve", "--read-token=s3cret", "--store", "postgres://app:pw@db:5432/ports?sslmode=disable"},
			[]string{"portolan", "serve", "--read-token=" + masked, "--store", "postgres://app:" + masked + "@db:5432/ports?sslmode=disable"}},
		{[]string{"app", "--store=postgres://app:pw@db/ports"}, []string{"app", "--store=postgres://app:" + masked + "@db/ports"}},
		{[]string{"psql", "host=db user=app password=hunter2 dbname=x"}, []string{"psql", "host=db user=app password=" + masked + " dbname=x"}},
		{[]string{"env", "PGPASSWORD=hunter2", "psql"}, []string{"env", "PGPASSWORD=" + masked, "psql"}},
		{[]string{"curl", "-H", "Authorization: Bearer abc.def", "http://u:p@h/x?api_key=k1&q=1"},
			[]string{"curl", "-H", "Authorization: " + masked, "http://u:" + masked + "@h/x?api_key=" + masked + "&q=1"}},
		{[]string{"redis-server", "--requirepass", "pw", "--port", "6379"}, []string{"redis-server", "--requirepass", masked, "--port", "6379"}},
		{[]string{"srv", "--secret-key", "--verbose"}, []string{"srv", "--secret-key", "--verbose"}},
		{[]string{"srv", "-p", "8080", "--token-file", "/etc/portolan/token", "http://example.test:80/"},
			[]string{"srv", "-p", "8080", "--token-file", "/etc/portolan/token", "http://example.test:80/"}},
		{[]string{"nginx: master process /usr/sbin/nginx"}, []string{"nginx: master process /usr/sbin/nginx"}},
		{nil, nil},
	} {
		if got := redactArgs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("redactArgs(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// Redaction never panics, keeps the argument count, always masks the value
// after a --password flag, and is stable: masking masked text changes
// nothing.
func FuzzRedactArgs(f *testing.F) {
	f.Add("portolan\x00serve\x00--admin-token\x00s3cret")
	f.Add("psql\x00host=db password=pw\x00postgres://u:p@h/d?password=x")
	f.Add("curl\x00-H\x00Authorization: Bearer abc\x00http://a:b@c:d@e/")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		out := redactArgs(args)
		if len(out) != len(args) {
			t.Fatalf("redactArgs(%q) = %q: %d arguments, want %d", args, out, len(out), len(args))
		}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "--password" && !strings.HasPrefix(args[i+1], "--") && out[i+1] != masked {
				t.Fatalf("redactArgs(%q) = %q: the value after --password survives", args, out)
			}
		}
		if again := redactArgs(out); !slices.Equal(again, out) {
			t.Fatalf("redactArgs is not stable: %q -> %q -> %q", args, out, again)
		}
	})
}
