package serve_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
	porthttp "github.com/portolan-dev/portolan/http"
	"github.com/portolan-dev/portolan/internal/cli/serve"
	"github.com/portolan-dev/portolan/sqlite"
)

// serve --report-self puts its own host in its fleet: its own API port
// shows as a confirmed listener of this host, held by this program.
func TestServeReportsItself(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	mid := filepath.Join(state, "machine-id")
	os.WriteFile(mid, []byte("serve-self-test\n"), 0o644)
	url, stop := start(t, serve.Options{Portserver: "", ReportSelf: true, ReportEvery: 100 * time.Millisecond, MachineIDFile: mid})
	defer stop()
	_, port, _ := net.SplitHostPort(url[len("http://"):])
	c := porthttp.NewClient(url, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		w, err := c.FleetWhere(context.Background(), port)
		if err == nil && len(w.Listeners) == 1 && w.Listeners[0].HostID == "serve-self-test" {
			exe, _ := os.Executable()
			if w.Listeners[0].Program != exe || w.Listeners[0].Reach != portolan.ReachLoopback {
				t.Errorf("own listener %+v, want program %s on loopback", w.Listeners[0], exe)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve's own port %s never showed in its fleet: %+v %v", port, w, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve --fleet-history folds the events older than it as it starts: a
// host that reported long ago keeps the listener still up, its history
// says where it starts being whole, and the recent events stay.
func TestServeFoldsOldFleetEvents(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	db := filepath.Join(state, "fleet.db")
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour).UTC()
	ls := func(ports ...portolan.Port) []portolan.FleetListener {
		var out []portolan.FleetListener
		for _, p := range ports {
			out = append(out, portolan.FleetListener{ListenerKey: portolan.ListenerKey{Proto: portolan.TCP, Addr: netip.IPv4Unspecified(), Port: p}, Program: "/usr/bin/app"})
		}
		return out
	}
	// 22 and 80 up two days ago, 22 down an hour later; 8080 up now.
	for i, rep := range []struct {
		at    time.Time
		ports []portolan.FleetListener
	}{{old, ls(22, 80)}, {old.Add(time.Minute), ls(22, 80)}, {old.Add(time.Hour), ls(80)}, {old.Add(time.Hour + time.Minute), ls(80)},
		{time.Now().UTC(), ls(80, 8080)}, {time.Now().UTC().Add(time.Second), ls(80, 8080)}} {
		err := store.UpdateHost(context.Background(), "m-1", func(rec portolan.HostRecord, known bool) (portolan.HostChange, error) {
			ch, _ := portolan.ApplyReport(rec, known, portolan.FleetReport{HostID: "m-1", HostName: "db-1", Seq: uint64(i + 1), Full: true, Listeners: rep.ports}, nil, rep.at)
			return ch, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	url, stop := start(t, serve.Options{Portserver: "", Store: "sqlite:" + db, FleetHistory: 24 * time.Hour})
	defer stop()
	c := porthttp.NewClient(url, "")
	deadline := time.Now().Add(10 * time.Second)
	var hs []portolan.FleetHost
	for time.Now().Before(deadline) {
		if hs, err = c.Hosts(context.Background()); err == nil && len(hs) == 1 && !hs[0].HistorySince.IsZero() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(hs) != 1 || hs[0].HistorySince.Before(old) || hs[0].HistorySince.After(time.Now().Add(-23*time.Hour)) {
		t.Fatalf("hosts %+v, %v; want db-1's history whole from about a day ago", hs, err)
	}
	evs, err := c.Events(context.Background(), "m-1", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, fmt.Sprintf("%s %d", e.Kind, e.Port))
	}
	if want := []string{"listener-up 80", "listener-up 8080", "drift 8080"}; !slices.Equal(kinds, want) {
		t.Errorf("events after the fold: %q; want %q (80 still up from before, the rest recent)", kinds, want)
	}
}
