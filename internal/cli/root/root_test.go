package root_test

import (
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/cli/root"
)

// A flag value of the wrong type is named with the form wanted, in every
// verb, not with strconv's or time's words.
func TestBadFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"kill", "8080", "--timeout", "5"}, `--timeout "5" is not a duration: want a number with a unit, e.g. 300ms, 5s or 1m30s; see 'portolan kill --help'`},
		{[]string{"lease", "--ttl", "5x"}, `--ttl "5x" is not a duration: want a number with a unit, e.g. 300ms, 5s or 1m30s; see 'portolan lease --help'`},
		{[]string{"ls", "--pid", "abc"}, `--pid "abc" is not a whole number: want e.g. 3; see 'portolan ls --help'`},
		{[]string{"free", "-n", "abc"}, `-n/--count "abc" is not a whole number: want e.g. 3; see 'portolan free --help'`},
		{[]string{"free", "-n", "99999999999999999999"}, `-n/--count 99999999999999999999 is out of range; see 'portolan free --help'`},
		{[]string{"scan", "127.0.0.1", "--rate", "fast"}, `--rate "fast" is not a number: want e.g. 100 or 2.5; see 'portolan scan --help'`},
		{[]string{"ranges", "--json=maybe"}, `--json="maybe" is not true or false: want --json or --json=false; see 'portolan ranges --help'`},
		{[]string{"ls", "--bogus"}, `unknown flag: --bogus; see 'portolan ls --help'`},
		// A negative port looks like shorthand flags to pflag; the user
		// typed a port, so the lookup's own message says what is wrong.
		{[]string{"-80"}, `port -80 is out of range 0-65535`},
		{[]string{"-80/udp"}, `port -80 is out of range 0-65535`},
		{[]string{"-x"}, `unknown shorthand flag: 'x' in -x; see 'portolan --help'`},
		{[]string{"kill", "-n", "3000"}, `-n is not a flag of portolan kill (-n is a count elsewhere): give --dry-run to see who would be signalled`},
		{[]string{"kill", "-9", "3000"}, `-9 is not a flag of portolan kill: give the signal as --signal 9 (or -s 9)`},
	} {
		ios, _, _, _ := iostreams.Test()
		cmd := root.NewCmdRoot(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs(tc.args)
		err := cmd.Execute()
		if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != tc.msg {
			t.Errorf("portolan %q: exit %d %q, want 2 %q", tc.args, cmdutil.ExitCode(err), cmdutil.Message(err), tc.msg)
		}
	}
}
