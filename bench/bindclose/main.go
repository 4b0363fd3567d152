// Command bindclose is the get-port / portfinder / freeport way of finding
// a free port, as a baseline for `portolan free`: bind port 0 on the
// wildcard, print what the kernel chose, close. It reserves nothing: the
// port lies in the ephemeral range and the next bind(0) may get it too.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
}
