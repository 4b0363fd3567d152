package kill

import (
	"os"
	"testing"

	"github.com/portolan-dev/portolan/internal/testutil/sockhold"
)

func TestMain(m *testing.M) {
	sockhold.Main()
	asUserMain()
	os.Exit(m.Run())
}
