// Command serveload drives a portolan server's HTTP API from N concurrent
// keep-alive clients on loopback and prints requests per second and
// latency percentiles: GET of a path, assignment writes, lease grants
// (held until their one-minute TTL), or lease grant+release pairs.
// bench/serve.sh runs it next to wrk; bench/allocate.sh for leases.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
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
			for time.Now().Before(deadline) {
				i := next.Add(1)
				if *max > 0 && i > int64(*max) {
					return
				}
				t0 := time.Now()
				var ok bool
				switch *mode {
				case "get":
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
