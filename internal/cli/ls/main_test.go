package ls

import (
	"os"
	"testing"

	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

func TestMain(m *testing.M) {
	sockhold.Main()
	os.Exit(m.Run())
}
