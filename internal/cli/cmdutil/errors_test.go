package cmdutil_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
)

// "Nothing found" (1) and "something broke" (3) are different exit codes,
// so a script can tell a no from a failure.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{nil, 0},
		{portolan.Errorf(portolan.ENOTFOUND, "no"), 1},
		{portolan.Errorf(portolan.ECONFLICT, "taken"), 1},
		{portolan.Errorf(portolan.EFORBIDDEN, "pid 1"), 1},
		{portolan.Errorf(portolan.EINVALID, "bad"), 2},
		{portolan.Errorf(portolan.EUNSUPPORTED, "not here"), 2},
		{portolan.Errorf(portolan.EINTERNAL, "disk gone"), 3},
		{errors.New("read /x: input/output error"), 3},
		{fmt.Errorf("wrapped: %w", portolan.Errorf(portolan.ENOTFOUND, "no")), 1},
		{portolan.Errorf(portolan.ETIMEOUT, "late"), 124},
		{cmdutil.Exit(130), 130},
	} {
		if got := cmdutil.ExitCode(tc.err); got != tc.code {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
}
