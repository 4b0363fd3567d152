//go:build race

package lease_test

// raceEnabled scales the stress tests down under the race detector, which
// slows this code about tenfold; the full size runs without -race.
const raceEnabled = true
