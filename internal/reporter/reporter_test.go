package reporter

import (
	"testing"
	"time"
)

func TestBackoffIsCappedAndJittered(t *testing.T) {
	for n := 1; n < 40; n++ {
		d := backoff(time.Second, time.Minute, n)
		if d > time.Minute || d < time.Second*3/4 {
			t.Fatalf("backoff after %d failures: %v", n, d)
		}
	}
	if d := backoff(time.Second, time.Minute, 30); d < 45*time.Second {
		t.Errorf("backoff after 30 failures: %v, want near the cap", d)
	}
}
