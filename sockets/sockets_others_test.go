//go:build !linux

package sockets

import (
	"context"
	"testing"

	"github.com/portolan-dev/portolan"
)

func TestUnsupported(t *testing.T) {
	ctx := context.Background()
	if _, err := List(ctx, Filter{}); portolan.ErrorCode(err) != portolan.EUNSUPPORTED {
		t.Errorf("List error = %v; want EUNSUPPORTED", err)
	}
	if _, err := Owners(ctx, 80, portolan.TCP); portolan.ErrorCode(err) != portolan.EUNSUPPORTED {
		t.Errorf("Owners error = %v; want EUNSUPPORTED", err)
	}
	if _, err := Listening(ctx, 80, portolan.TCP); portolan.ErrorCode(err) != portolan.EUNSUPPORTED {
		t.Errorf("Listening error = %v; want EUNSUPPORTED", err)
	}
}
