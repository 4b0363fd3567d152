package serve

import (
	"net/url"
	"os"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/secretfile"
	"github.com/spf13/cobra"
)

// Every local user reads every process's command line (ps, /proc/PID/cmdline),
// so secrets never travel in argv: tokens come from the token file or the
// environment (/proc/PID/environ is private to the user and root), and a
// database password from PGPASSFILE, a store file or the environment.

// tokenEnv names the environment variable that replaces each refused flag.
var tokenEnv = map[string]string{"admin-token": "PORTOLAN_ADMIN_TOKEN", "read-token": "PORTOLAN_READ_TOKEN"}

// fromCommandLine refuses secrets in argv and fills the options that come
// from the environment and the store file.
func (o *Options) fromCommandLine(cmd *cobra.Command) error {
	for _, name := range []string{"admin-token", "read-token"} {
		if cmd.Flags().Changed(name) {
			return cmdutil.FlagErrorf("--%s is refused: a token on the command line is visible to every local user (ps); put it in --token-file FILE (lines \"admin SECRET\" or \"read SECRET NAME\", mode 0600) or in $%s", name, tokenEnv[name])
		}
	}
	if err := refusePassword(o.Store); err != nil {
		return err
	}
	if o.StoreFile != "" {
		if o.Store != "" {
			return cmdutil.FlagErrorf("--store and --store-file are both given: want one of them")
		}
		b, err := secretfile.Read(o.StoreFile, "store file")
		if err != nil {
			return err
		}
		if o.Store = strings.TrimSpace(string(b)); o.Store == "" || strings.ContainsAny(o.Store, "\n\r") {
			return portolan.Errorf(portolan.EINVALID, "store file %s does not hold one line: want sqlite:PATH or postgres://USER:PASSWORD@HOST/DB", o.StoreFile)
		}
	}
	if o.Store == "" {
		o.Store = os.Getenv("PORTOLAN_STORE") // may carry a password: the environment is private
	}
	o.AdminTokens = append(o.AdminTokens, strings.Fields(os.Getenv("PORTOLAN_ADMIN_TOKEN"))...)
	o.ReadTokens = append(o.ReadTokens, strings.Fields(os.Getenv("PORTOLAN_READ_TOKEN"))...)
	return nil
}

// refusePassword refuses a PostgreSQL DSN given on the command line that
// carries a password, in the user info or as a password= parameter.
func refusePassword(spec string) error {
	if !IsPostgres(spec) {
		return nil
	}
	u, err := url.Parse(spec)
	if err != nil {
		return cmdutil.FlagErrorf("--store is not a valid postgres:// URL: want postgres://USER@HOST/DB")
	}
	_, hasPw := u.User.Password()
	if !hasPw && !u.Query().Has("password") {
		return nil
	}
	u.User = url.User(u.User.Username())
	q := u.Query()
	q.Del("password")
	u.RawQuery = q.Encode()
	return cmdutil.FlagErrorf("--store %s carries a password, which every local user can read in the command line: put the password in PGPASSFILE (~/.pgpass), or the whole DSN in --store-file FILE (mode 0600) or $PORTOLAN_STORE", u.Redacted())
}
