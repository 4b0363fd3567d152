// Command serveload drives a portolan server's HTTP API from N concurrent
// keep-alive clients on loopback and prints requests per second and
// latency percentiles: GET of a path, assignment writes, lease grants
// (held until their one-minute TTL), or lease grant+release pairs.
// bench/serve.sh runs it next to wrk; bench/allocate.sh for leases.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:7780", "server URL")
	token := flag.String("token", os.Getenv("PORTOLAN_TOKEN"), "admin bearer token for writes")
	mode := flag.String("mode", "get", "get, assign, lease (grant, held for its 1m TTL) or lease-release (grant, then release)")
	path := flag.String("path", "/v1/ports/443", "path for -mode get")
	conc := flag.Int("c", 32, "concurrent clients")
	dur := flag.Duration("d", 5*time.Second, "duration")
	max := flag.Int("n", 0, "stop after this many requests (0: only the duration)")
	raw := flag.Bool("raw", false, "-mode get over plain keep-alive HTTP/1.1 connections written by hand: a far cheaper client than net/http's, so the load generator is not what a paced run measures")
	rate := flag.Float64("rate", 0, "requests per second in all, paced; latency counts from each request's due time (0: as fast as the clients go)")
	flag.Parse()

	tr := &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var next atomic.Int64
	var errs atomic.Int64
	deadline := time.Now().Add(*dur)
	lat := make([][]time.Duration, *conc)
	protos := []string{"tcp", "udp", "sctp", "dccp"}
	var firstErr sync.Once // the first failure is printed, so an error count has a cause
	// doBody sends one request and returns its status and (up to 4 KB of) body.
	doBody := func(method, u string, body []byte) (int, []byte, error) {
		req, _ := http.NewRequest(method, u, bytes.NewReader(body))
		if *token != "" {
			req.Header.Set("Authorization", "Bearer "+*token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			firstErr.Do(func() { fmt.Fprintf(os.Stderr, "serveload: first error: %s %s: %v\n", method, u, err) })
			return 0, nil, err
		}
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			firstErr.Do(func() {
				fmt.Fprintf(os.Stderr, "serveload: first error: %s %s: %s %s\n", method, u, resp.Status, bytes.TrimSpace(out))
			})
		}
		return resp.StatusCode, out, nil
	}
	do := func(method, u string, body []byte) (int, error) {
		st, _, err := doBody(method, u, body)
		return st, err
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *conc {
		wg.Go(func() {
			rc := &rawConn{}
			defer rc.close()
			for time.Now().Before(deadline) {
				i := next.Add(1)
				if *max > 0 && i > int64(*max) {
					return
				}
				t0 := time.Now()
				if *rate > 0 {
					// Request i is due at start + i/rate; its latency counts
					// from then, so a slow answer that delays the next
					// requests is charged to them too (no coordinated omission).
					t0 = start.Add(time.Duration(float64(i-1) / *rate * float64(time.Second)))
					if !t0.Before(deadline) {
						return
					}
					time.Sleep(time.Until(t0))
				}
				var ok bool
				switch *mode {
				case "get":
					if *raw {
						st, err := rc.get(*url, *path)
						ok = err == nil && st == 200
						if !ok {
							firstErr.Do(func() { fmt.Fprintf(os.Stderr, "serveload: first error: raw GET %s: status %d, %v\n", *path, st, err) })
						}
						break
					}
					st, err := do("GET", *url+*path, nil)
					ok = err == nil && st == 200
				case "assign":
					// Distinct (port, protocol) pairs: 1024-65535 on four protocols.
					n := i - 1
					port, proto := 1024+n%64512, protos[(n/64512)%4]
					body := fmt.Sprintf(`{"port":%d,"protocol":%q,"name":"bench-%d","owner":"bench","force":true}`, port, proto, n)
					st, err := do("POST", *url+"/v1/assignments", []byte(body))
					ok = err == nil && st == 201
				case "lease":
					st, err := do("POST", *url+"/v1/leases", []byte(`{"count":1,"protocol":"tcp","ttl":"1m"}`))
					ok = err == nil && st == 201
				case "lease-release":
					st, out, err := doBody("POST", *url+"/v1/leases", []byte(`{"count":1,"protocol":"tcp","ttl":"1m"}`))
					var ls []struct {
						Port int `json:"port"`
					}
					if ok = err == nil && st == 201 && json.Unmarshal(out, &ls) == nil && len(ls) == 1; ok {
						st, err = do("DELETE", fmt.Sprintf("%s/v1/leases/%d", *url, ls[0].Port), nil)
						ok = err == nil && st == 204
					}
				default:
					fmt.Fprintf(os.Stderr, "serveload: -mode %q is not one of get, assign, lease, lease-release\n", *mode)
					os.Exit(2)
				}
				lat[w] = append(lat[w], time.Since(t0))
				if !ok {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) == 0 {
		fmt.Println("no requests")
		os.Exit(1)
	}
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(float64(len(all))*p))] }
	fmt.Printf("mode=%s c=%d requests=%d errors=%d rate=%.0f/s p50=%v p99=%v max=%v\n",
		*mode, *conc, len(all), errs.Load(), float64(len(all))/el.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond))
}

// rawConn is one keep-alive HTTP/1.1 connection driven by hand: write a GET,
// read the status line and headers, skip Content-Length bytes of body.
type rawConn struct {
	c    net.Conn
	r    *bufio.Reader
	host string // the Host header: the server answers tokenless reads only to an IP or localhost
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
	}
}

func (rc *rawConn) get(base, path string) (int, error) {
	if rc.c == nil {
		u, err := neturl.Parse(base)
		if err != nil {
			return 0, err
		}
		c, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
		if err != nil {
			return 0, err
		}
		rc.c, rc.r, rc.host = c, bufio.NewReaderSize(c, 64<<10), u.Host
	}
	st, err := rc.roundTrip(path)
	if err != nil {
		rc.close()
		rc.c = nil
	}
	return st, err
}

func (rc *rawConn) roundTrip(path string) (int, error) {
	rc.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(rc.c, "GET "+path+" HTTP/1.1\r\nHost: "+rc.host+"\r\n\r\n"); err != nil {
		return 0, err
	}
	line, err := rc.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	st, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	n := -1
	for {
		h, err := rc.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimSpace(h)
		if len(h) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if n < 0 {
		return 0, fmt.Errorf("no Content-Length (chunked answers are not read here)")
	}
	_, err = rc.r.Discard(n)
	return st, err
}
