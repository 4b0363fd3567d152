//go:build linux

// Command slowhost stands up a remote host for benchmarks: a network
// namespace behind a link that delays every packet (20 ms each way by
// default), with some ports listening and some dropped by the firewall.
// It writes what it made to -info as shell variables and keeps the host up
// until it gets SIGINT or SIGTERM, then removes everything.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/testnet"
)

func main() {
	delay := flag.Duration("delay", 20*time.Millisecond, "one-way delay of the link")
	hi := flag.Int("ports", 10000, "ports 1-N hold the open and dropped ones")
	nOpen := flag.Int("open", 10, "listening ports")
	nDrop := flag.Int("drop", 100, "ports the firewall drops")
	seed := flag.Uint64("seed", 1, "which ports (same seed, same ports)")
	info := flag.String("info", "", "write ADDR=, OPEN= and DROP= here once the host is up")
	flag.Parse()
	if err := run(*delay, *hi, *nOpen, *nDrop, *seed, *info); err != nil {
		fmt.Fprintln(os.Stderr, "slowhost:", err)
		os.Exit(1)
	}
}

func run(delay time.Duration, hi, nOpen, nDrop int, seed uint64, info string) error {
	if nOpen+nDrop > hi {
		return fmt.Errorf("-open %d and -drop %d do not fit in ports 1-%d", nOpen, nDrop, hi)
	}
	ns, err := testnet.Create(testnet.Options{Delay: delay})
	if err != nil {
		return err
	}
	defer ns.Close()
	rng := rand.New(rand.NewPCG(seed, 42))
	perm := rng.Perm(hi)
	var open, drop []portolan.Port
	for i, k := range perm[:nOpen+nDrop] {
		p := portolan.Port(k + 1)
		if i < nOpen {
			open = append(open, p)
		} else {
			drop = append(drop, p)
		}
	}
	slices.Sort(open)
	slices.Sort(drop)
	for _, p := range open {
		if _, err := ns.Listen(":" + p.String()); err != nil {
			return err
		}
	}
	if err := ns.Drop(drop...); err != nil {
		return err
	}
	text := fmt.Sprintf("ADDR=%s\nNS=%s\nOPEN=%s\nDROP=%s\n", ns.Addr, ns.Name, join(open), join(drop))
	if info != "" {
		if err := os.WriteFile(info+".tmp", []byte(text), 0o644); err != nil {
			return err
		}
		if err := os.Rename(info+".tmp", info); err != nil {
			return err
		}
	} else {
		fmt.Print(text)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}

func join(ports []portolan.Port) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
