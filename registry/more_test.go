package registry

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry/iana"
)

func TestCommonUses(t *testing.T) {
	if n := len(commonUses); n < 80 {
		t.Errorf("%d curated common uses, want at least 80", n)
	}
	for i, c := range commonUses {
		if c.Name == "" || c.Desc == "" || c.Source == "" {
			t.Errorf("row %d %+v lacks a name, description or source", i, c)
		}
		if i > 0 && commonUses[i-1].Ports.Lo > c.Ports.Lo {
			t.Errorf("row %d (%v) out of port order", i, c.Ports)
		}
	}
	want := map[portolan.Port]string{3000: "node-dev", 5173: "vite", 6443: "kube-apiserver", 10250: "kubelet",
		9200: "elasticsearch", 9092: "kafka", 25565: "minecraft", 51820: "wireguard", 5432: "postgresql", 31000: "k8s-nodeport"}
	r := Embedded()
	for p, name := range want {
		found := false
		for _, c := range r.CommonUses(p) {
			found = found || c.Name == name
		}
		if !found {
			t.Errorf("CommonUses(%d) lacks %s: %+v", p, name, r.CommonUses(p))
		}
	}
	if got := r.CommonUses(1); got != nil {
		t.Errorf("port 1 has common uses %+v", got)
	}
}

// TestCommonUseClaims: what a description says about IANA ("IANA lists X",
// "IANA: unassigned") is true of the embedded registry.
func TestCommonUseClaims(t *testing.T) {
	r := Embedded()
	lists := regexp.MustCompile(`IANA lists ([A-Za-z0-9-]+)(?:/([A-Za-z0-9-]+))?`)
	for _, c := range commonUses {
		p, proto := c.Ports.Lo, c.Proto
		if m := lists.FindStringSubmatch(c.Desc); m != nil {
			for _, name := range m[1:] {
				if name == "" {
					continue
				}
				found := false
				for _, s := range r.ByPort(p, proto) {
					found = found || s.Name == name
				}
				if !found {
					t.Errorf("%s: IANA has no %s on %d/%s: %s", c.Name, name, p, proto, names(r.ByPort(p, proto)))
				}
			}
		}
		if strings.Contains(c.Desc, "IANA: unassigned") && r.Assigned(p, proto) {
			t.Errorf("%s: %d/%s is assigned at IANA", c.Name, p, proto)
		}
		if strings.Contains(c.Desc, "IANA: dynamic range") && p.Class() != portolan.Dynamic {
			t.Errorf("%s: %d is not in the dynamic range", c.Name, p)
		}
	}
}

// TestHostReal reads this machine's /proc and checks it against what the
// kernel files say.
func TestHostReal(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Skip("no /proc/sys/net/ipv4 here")
	}
	h, err := Host()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := portolan.ParsePortRange(string(b))
	if h.Defaults || h.Ephemeral != want {
		t.Errorf("Host() %+v, /proc says %v", h, want)
	}
	n := Embedded().CountAssignedIn(h.Ephemeral)
	if h.Ephemeral.Overlaps(portolan.User.Range()) && n == 0 {
		t.Errorf("no IANA-assigned User ports in %v", h.Ephemeral)
	}
	if got := Embedded().CountAssignedIn(portolan.Range{Lo: 80, Hi: 80}); got != 0 {
		t.Errorf("system port 80 counted as a User port: %d", got)
	}
	if got := Embedded().CountAssignedIn(portolan.Range{Lo: 6000, Hi: 6063}); got != 64 {
		t.Errorf("x11's 6000-6063 holds %d assigned user ports, want 64", got)
	}
}

// realRelease parses the real release kept in iana/testdata.
func realRelease(t *testing.T) *iana.Data {
	t.Helper()
	d, err := iana.ParseFile("iana/testdata/service-names-port-numbers.xml.gz")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestInstallNewestWins: an installed snapshot is used when newer than the
// embedded one; an older or equal release is refused with both dates and
// leaves the installed file alone (it used to replace it, and the embedded
// one took over); a damaged file leaves the embedded data in use.
func TestInstallNewestWins(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	d := realRelease(t)
	d.Updated = "2099-01-01"
	path, err := Install(d, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(os.Getenv("XDG_DATA_HOME"), "portolan", SnapshotFile); path != want {
		t.Errorf("installed at %s, want %s", path, want)
	}
	r := Newest()
	if r.Updated() != "2099-01-01" || r.Path() != path || r.Len() != len(d.Records) {
		t.Errorf("newest: %s %s %d", r.Updated(), r.Path(), r.Len())
	}
	if names(r.ByPort(80, portolan.TCP)) != "http/tcp www~/tcp www-http~/tcp" {
		t.Errorf("installed lookups: %s", names(r.ByPort(80, portolan.TCP)))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("data dir holds %d files, want only the snapshot (no temp files)", len(entries))
	}
	installed, _ := os.ReadFile(path)
	for _, c := range []struct{ updated, want string }{
		{"2098-06-30", "the release of 2098-06-30 is older than the one in use of 2099-01-01 (installed)"},
		{"2099-01-01", "the release of 2099-01-01 is the one in use (installed)"},
		{"2025-08-26", "the release of 2025-08-26 is older than the one in use of 2099-01-01 (installed)"},
	} {
		d.Updated = c.updated
		for _, force := range []bool{false, true} {
			_, err := Install(d, force)
			if portolan.ErrorCode(err) != portolan.EINVALID || !strings.HasPrefix(portolan.ErrorMessage(err), c.want) {
				t.Errorf("install %s (force %v): %v, want %q", c.updated, force, err, c.want)
			}
		}
		if now, _ := os.ReadFile(path); string(now) != string(installed) {
			t.Fatalf("refusing %s changed the installed snapshot", c.updated)
		}
		if r := Newest(); r.Updated() != "2099-01-01" {
			t.Errorf("after refusing %s the release in use is %s", c.updated, r.Updated())
		}
	}
	// A user snapshot older than the embedded one (left by a portolan
	// upgrade) loses to it, and is not reported as damaged.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	emb := Embedded()
	if _, err := Install(d, false); err == nil || !strings.Contains(err.Error(), "older than the one in use of "+emb.Updated()+" (embedded)") {
		t.Errorf("older than the embedded release: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused release was written: %v", err)
	}
	d.Updated = "2000-01-01"
	b, err := iana.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := Newest(); r.Path() != "" {
		t.Errorf("an older user snapshot won: %s", r.Updated())
	}
	if why, damaged := PassedOver(Newest()); damaged || !strings.Contains(why, "not newer than the embedded one") {
		t.Errorf("older user snapshot: passed over %q damaged %v", why, damaged)
	}
	// A damaged file is passed over.
	if err := os.WriteFile(path, []byte("PTLNSNAP garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := Newest(); r.Path() != "" || r.Len() != 14533 {
		t.Errorf("damaged user snapshot used: %s", r.Path())
	}
	if why, damaged := PassedOver(Newest()); !damaged || why == "" {
		t.Errorf("damaged user snapshot: passed over %q damaged %v", why, damaged)
	}
}

// TestInstallRefusesRecordDrop: a newer release with more than 2% fewer
// records than the one in use is refused with both counts unless forced; a
// release that is not whole is refused even when forced.
func TestInstallRefusesRecordDrop(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	full := realRelease(t)
	d := *full
	d.Updated = "2099-01-01"
	// Drop 3% of the records, all name-only, so every port stays covered.
	drop := len(full.Records) * 3 / 100
	d.Records = nil
	for _, s := range full.Records {
		if !s.HasPort && drop > 0 {
			drop--
			continue
		}
		d.Records = append(d.Records, s)
	}
	d.RangeForm = nil // indices moved; the form of "LO-LO" numbers does not matter here
	if err := iana.CheckComplete(&d); err != nil {
		t.Fatalf("the thinned release is not whole: %v", err)
	}
	want := "14,098 records where the release in use has 14,533 (3% fewer, more than 2%): the file looks cut short; --force installs it"
	if _, err := Install(&d, false); portolan.ErrorCode(err) != portolan.EINVALID || portolan.ErrorMessage(err) != want {
		t.Errorf("3%% fewer records: %v\nwant %q", err, want)
	}
	if r := Newest(); r.Path() != "" {
		t.Fatalf("a refused release is in use: %s", r.Path())
	}
	if _, err := Install(&d, true); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if r := Newest(); r.Len() != 14098 || r.Updated() != "2099-01-01" {
		t.Errorf("forced release not in use: %d %s", r.Len(), r.Updated())
	}
	// 1% fewer passes without force.
	d2 := *full
	d2.Updated = "2099-02-01"
	d2.Records = d2.Records[:len(d2.Records)-140]
	if _, err := Install(&d2, false); err != nil {
		t.Errorf("1%% fewer records: %v", err)
	}
	// The audit's cut: 4,731 records. Not whole, so --force does not help.
	d3 := *full
	d3.Updated = "2099-03-01"
	d3.Records = d3.Records[:4731]
	d3.RangeForm = nil
	for _, force := range []bool{false, true} {
		if _, err := Install(&d3, force); err == nil || !strings.Contains(err.Error(), "the records stop at port") {
			t.Errorf("4,731 records (force %v): %v", force, err)
		}
	}
	if r := Newest(); r.Updated() != "2099-02-01" {
		t.Errorf("in use: %s", r.Updated())
	}
}

func TestDataDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/x/data")
	if d, _ := DataDir(); d != "/x/data/portolan" {
		t.Errorf("DataDir %s", d)
	}
	t.Setenv("XDG_DATA_HOME", "relative") // the spec says relative paths are ignored
	t.Setenv("HOME", "/home/u")
	if d, _ := DataDir(); d != "/home/u/.local/share/portolan" {
		t.Errorf("DataDir %s", d)
	}
}
