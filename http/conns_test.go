package http_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	porthttp "github.com/portolan-dev/portolan/http"
)

// Hundreds of connections left idle after a request, or silent from the
// start, do not lock the API out: a real client still gets answers, each
// within a bound, while they are open.
func TestIdleConnectionsDoNotLockOut(t *testing.T) {
	e := newEnv(t, nil, func(c *porthttp.Config) { c.MaxConns = 64 })
	addr := strings.TrimPrefix(e.url, "http://")
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if i%2 == 0 {
				return // silent
			}
			// One request that gets a 200, then idle on keep-alive.
			c.SetDeadline(time.Now().Add(3 * time.Second))
			c.Write([]byte("GET /v1/ranges HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			c.SetDeadline(time.Time{})
		})
	}
	wg.Wait()
	for i := range 5 {
		client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		start := time.Now()
		resp, err := client.Get(e.url + "/v1/ranges")
		if err != nil {
			t.Fatalf("request %d with %d idle and silent connections open: %v", i, len(conns), err)
		}
		resp.Body.Close()
		if el := time.Since(start); resp.StatusCode != 200 || el > 2*time.Second {
			t.Fatalf("request %d: %d after %v; want 200 within 2s", i, resp.StatusCode, el)
		}
	}
}

// A 401 answer closes its connection: a client without a valid token gets
// no keep-alive slot to hold.
func TestUnauthorizedClosesConnection(t *testing.T) {
	e := newEnv(t, nil, nil)
	c, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("POST /v1/leases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("POST without a token = %d, Connection %q; want 401 and close", resp.StatusCode, resp.Header.Get("Connection"))
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after the 401 the connection read %d bytes, %v; want EOF", n, err)
	}
}
