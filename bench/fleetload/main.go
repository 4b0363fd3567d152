// Command fleetload simulates a fleet against one `portolan serve` on a
// PostgreSQL it starts itself: -hosts hosts with -listeners listeners
// each, every host a full report at its start (spread over one interval)
// and then one report each -interval: a heartbeat, or for -churn of the
// hosts a delta (one listener gone, one new). It prints the latency of the
// reports per round and how many came in late (a growing backlog would
// show as late reports and rising latency), then the latency of
// GET /v1/fleet/where/5432 over the resulting listener rows, and of the
// CLI `portolan fleet where 5432`.
//
// Usage: go run ./bench/fleetload -portolan bin/portolan
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/postgres/pgtest"
)

const token = "fleetload-admin-token-0123456789"

func main() {
	bin := flag.String("portolan", "bin/portolan", "the portolan binary")
	hosts := flag.Int("hosts", 1000, "hosts")
	per := flag.Int("listeners", 200, "listeners per host")
	interval := flag.Duration("interval", 10*time.Second, "report interval")
	rounds := flag.Int("rounds", 6, "rounds after the first (full) one")
	churn := flag.Float64("churn", 0.02, "share of hosts whose listeners change each round")
	flag.Parse()
	if err := run(*bin, *hosts, *per, *interval, *rounds, *churn); err != nil {
		fmt.Fprintln(os.Stderr, "fleetload:", err)
		os.Exit(1)
	}
}

func run(bin string, hosts, per int, interval time.Duration, rounds int, churn float64) error {
	pg, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer pg.Stop()
	dir, err := os.MkdirTemp("", "fleetload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "tokens"), []byte("admin "+token+" load\n"), 0o600)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	serve := exec.Command(bin, "serve", "--listen", addr, "--portserver=", "--token-file", filepath.Join(dir, "tokens"))
	serve.Env = append(os.Environ(), "PORTOLAN_STORE="+pg.AdminDSN, "XDG_STATE_HOME="+dir)
	stderr, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "portolan serve: API") {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	base := "http://" + addr
	// Every simulated host comes from this one address: stay under the
	// server's per-client connection share (64), as a thousand real hosts,
	// each with its own address, would not need to.
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 48, MaxIdleConnsPerHost: 48}, Timeout: 30 * time.Second}
	fmt.Printf("fleet: %d hosts x %d listeners, reports every %v, %d rounds after the full one, churn %.0f%%; serve on PostgreSQL (%s)\n",
		hosts, per, interval, rounds, churn*100, time.Now().UTC().Format("2006-01-02"))

	var mu sync.Mutex
	lat := make([][]time.Duration, rounds+1)
	late := make([]int, rounds+1)
	var errs int
	var wg sync.WaitGroup
	start := time.Now()
	for h := range hosts {
		wg.Go(func() {
			offset := time.Duration(h) * interval / time.Duration(hosts)
			ls := listeners(h, per)
			var seq uint64
			full := true // as the agent: a full report first, and after a failure
			for r := 0; r <= rounds; r++ {
				due := start.Add(offset + time.Duration(r)*interval)
				time.Sleep(time.Until(due))
				seq++
				rep := portolan.FleetReport{HostID: fmt.Sprintf("load-%04d", h), HostName: fmt.Sprintf("host-%04d", h), Interval: interval, Seq: seq, Base: seq - 1}
				if full {
					rep.Full, rep.Listeners = true, ls
				} else if rand.Float64() < churn {
					gone := ls[0]
					ls = append(ls[1:], portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: gone.Addr, Port: gone.Port + 40000 - portolan.Port(r)}, Program: "/usr/bin/churn"})
					rep.Removed, rep.Added = []portolan.ListenerKey{gone.ListenerKey}, ls[len(ls)-1:]
				}
				t0 := time.Now()
				err := post(client, base, rep)
				d := time.Since(t0)
				full = err != nil
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat[r] = append(lat[r], d)
				}
				if r < rounds && time.Now().After(start.Add(offset+time.Duration(r+1)*interval)) {
					late[r]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for r := range lat {
		kind := "delta/heartbeat"
		if r == 0 {
			kind = "full (first)"
		} else if r == 1 {
			kind = "confirming"
		}
		p50, p99, mx := pct(lat[r], 0.5), pct(lat[r], 0.99), pct(lat[r], 1)
		fmt.Printf("round %d %-16s reports %5d  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  late %d\n", r, kind, len(lat[r]), ms(p50), ms(p99), ms(mx), late[r])
	}
	fmt.Printf("errors: %d\n", errs)

	// Where a port listens, across the rows now stored.
	var rows int
	if resp, err := get(client, base+"/v1/hosts"); err == nil {
		var hs []portolan.FleetHost
		json.Unmarshal(resp, &hs)
		for _, h := range hs {
			rows += h.Listeners
		}
	}
	var wl []time.Duration
	var found int
	for range 200 {
		t0 := time.Now()
		b, err := get(client, base+"/v1/fleet/where/5432")
		wl = append(wl, time.Since(t0))
		if err != nil {
			return err
		}
		var w struct{ Listeners []json.RawMessage }
		json.Unmarshal(b, &w)
		found = len(w.Listeners)
	}
	fmt.Printf("GET /v1/fleet/where/5432 at %d listener rows (%d hosts listen): p50 %.2f ms  p99 %.2f ms\n", rows, found, ms(pct(wl, 0.5)), ms(pct(wl, 0.99)))
	var cl []time.Duration
	for range 20 {
		cmd := exec.Command(bin, "fleet", "where", "5432", "--server", base)
		cmd.Env = append(os.Environ(), "PORTOLAN_TOKEN="+token)
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("portolan fleet where: %v: %s", err, out)
		}
		cl = append(cl, time.Since(t0))
	}
	fmt.Printf("portolan fleet where 5432 (the CLI, process start included): p50 %.2f ms  p99 %.2f ms\n", ms(pct(cl, 0.5)), ms(pct(cl, 0.99)))
	return nil
}

// listeners are host h's: per ports spread over the user range, and 5432
// on one host in a hundred.
func listeners(h, per int) []portolan.FleetListener {
	ls := make([]portolan.FleetListener, 0, per)
	addr := netip.MustParseAddr("0.0.0.0")
	for k := range per {
		p := portolan.Port(1024 + (h*7+k*131)%38000)
		if k == 0 && h%100 == 0 {
			p = 5432
		}
		ls = append(ls, portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: addr, Port: p},
			Program: fmt.Sprintf("/usr/bin/svc%d", k%17), Process: "svc", Reach: portolan.ReachAll})
	}
	return ls
}

func post(c *http.Client, base string, rep portolan.FleetReport) error {
	b, _ := json.Marshal(rep)
	req, _ := http.NewRequestWithContext(context.Background(), "POST", base+"/v1/hosts/"+rep.HostID+"/report", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var ack portolan.ReportAck
	if err := json.NewDecoder(resp.Body).Decode(&ack); err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("report %s: status %d %v", rep.HostID, resp.StatusCode, err)
	}
	if ack.Resync {
		return fmt.Errorf("report %s: resync asked", rep.HostID)
	}
	return nil
}

func get(c *http.Client, url string) ([]byte, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, buf.String())
	}
	return buf.Bytes(), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
