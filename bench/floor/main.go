// Command floor is the bare net/http server bench/serve.sh measures
// portolan serve against: it answers every GET with the bytes of one file
// as application/json, through no middleware, so the ratio of the two
// servers' rates is the cost of what portolan adds.
//
//	floor -body answer.json    prints its URL, then serves until killed
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	body := flag.String("body", "", "file whose bytes every answer carries")
	timeouts := flag.Bool("timeouts", false, "set portolan serve's read, write and idle timeouts (net/http then sets deadlines on every request)")
	flag.Parse()
	b, err := os.ReadFile(*body)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	clen := []string{strconv.Itoa(len(b))}
	ctype := []string{"application/json"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"], h["Content-Length"] = ctype, clen
		w.Write(b)
	})}
	if *timeouts {
		srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = 5*time.Second, 15*time.Second, 30*time.Second, 120*time.Second
	}
	err = srv.Serve(ln)
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}
