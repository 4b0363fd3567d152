//go:build linux

// Command holdsockets holds many loopback TCP sockets for the see-local
// benchmark: -listen listeners on 127.0.0.1 and -conns connections to them,
// each connection counting twice (the client and the accepted end). The
// default, 2,000 listeners and 4,000 connections, is the 10,000
// sockets: 2,000 listening and 8,000 established. It writes the listening
// ports to -ports, prints "ready" and holds everything until SIGINT/SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	listen := flag.Int("listen", 2000, "listening sockets")
	conns := flag.Int("conns", 4000, "established connections (two sockets each)")
	portsFile := flag.String("ports", "", "write the listening ports here, one per line")
	flag.Parse()
	if err := run(*listen, *conns, *portsFile); err != nil {
		fmt.Fprintln(os.Stderr, "holdsockets:", err)
		os.Exit(1)
	}
}

func run(nListen, nConns int, portsFile string) error {
	need := uint64(nListen+2*nConns) + 64
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur < need {
		lim.Cur = need
		if lim.Max < need {
			lim.Max = need // only root may raise the hard limit
		}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("raise RLIMIT_NOFILE to %d: %w", need, err)
		}
	}
	lns := make([]net.Listener, 0, nListen)
	var ports strings.Builder
	for range nListen {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		ports.WriteString(strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		ports.WriteByte('\n')
	}
	held := make([]net.Conn, 0, 2*nConns)
	for i := range nConns {
		ln := lns[i%len(lns)]
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			return err
		}
		s, err := ln.Accept()
		if err != nil {
			return err
		}
		held = append(held, c, s)
	}
	if portsFile != "" {
		if err := os.WriteFile(portsFile, []byte(ports.String()), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("ready %d listening, %d established\n", len(lns), len(held))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	// Without this the collector finds the sockets unreachable while we
	// wait, and their finalizers close them.
	runtime.KeepAlive(lns)
	runtime.KeepAlive(held)
	return nil
}
