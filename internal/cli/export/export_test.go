package export

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/registry/iana"
)

func export(t *testing.T, format string) (string, int) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	err := Run(&Options{IO: ios, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil }, Format: format})
	return out.String(), cmdutil.ExitCode(err)
}

func TestExportServicesParses(t *testing.T) {
	out, code := export(t, "services")
	es, err := iana.ParseServices(strings.NewReader(out))
	if code != 0 || err != nil || len(es) < 10000 {
		t.Fatalf("exit %d, %v, %d entries", code, err, len(es))
	}
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines++
		}
	}
	if lines != len(es) {
		t.Errorf("%d lines but %d parse as name port/proto", lines, len(es))
	}
}

// netbaseAnswers is what Debian's netbase file itself answers: for each
// "name/proto" its port and for each "port/proto" its name, glibc's first
// line, in the order they first appear.
func netbaseAnswers(t *testing.T) (keys []string, want map[string]string) {
	t.Helper()
	nb, err := iana.ParseServices(strings.NewReader(iana.NetbaseServices))
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{}
	add := func(k, v string) {
		if _, ok := want[k]; !ok {
			want[k] = v
			keys = append(keys, k)
		}
	}
	for _, e := range nb {
		if e.Proto == "ddp" {
			continue // AppleTalk: glibc resolves it, but nothing of ours is about it
		}
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			add(n+"/"+e.Proto, e.Port.String())
		}
		add(e.Port.String()+"/"+e.Proto, e.Name)
	}
	return keys, want
}

// inServicesNamespace runs argv in a private mount namespace with file
// bind-mounted over /etc/services. Needs root, unshare(1) and mount(8).
func inServicesNamespace(t *testing.T, file string, env []string, argv ...string) []byte {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount over /etc/services in a private mount namespace")
	}
	for _, tool := range []string{"unshare", "getent", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	args := append([]string{"--mount", "--propagation", "private", "sh", "-c", `mount --bind "$0" /etc/services && exec "$@"`, file}, argv...)
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s in a mount namespace: %v\n%.2000s", argv[0], err, b)
	}
	return b
}

func exportFile(t *testing.T) string {
	t.Helper()
	out, _ := export(t, "services")
	file := filepath.Join(t.TempDir(), "services")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestExportServicesGetent feeds the export to glibc itself: in a private
// mount namespace the file is bind-mounted over /etc/services, and getent
// resolves every name and port of Debian's netbase file as netbase does
// (2049/tcp is nfs, not IANA's first name shilp; http-alt is 8080, not
// 591), and IANA's other names after them.
func TestExportServicesGetent(t *testing.T) {
	file := exportFile(t)
	keys, want := netbaseAnswers(t)
	// IANA's names that netbase (and so this machine's own file) lacks
	// prove the export is the file read.
	extra := map[string]string{"skytale/tcp": "4319", "ircu/tcp": "6665", "x11/udp": "6000", "XmlIpcRegSvc/udp": "9092", "4319/tcp": "skytale"}
	for k, v := range extra {
		keys, want[k] = append(keys, k), v
	}
	b := inServicesNamespace(t, file, nil, append([]string{"getent", "services"}, keys...)...)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(keys) {
		t.Fatalf("getent answered %d of %d keys:\n%.1000s", len(lines), len(keys), b)
	}
	for i, k := range keys {
		f := strings.Fields(lines[i])
		if len(f) < 2 {
			t.Errorf("%s: getent printed %q", k, lines[i])
			continue
		}
		port, _, _ := strings.Cut(f[1], "/")
		got := port
		if k[0] >= '0' && k[0] <= '9' {
			got = f[0]
		}
		if got != want[k] {
			t.Errorf("getent services %s: %q, want %s (%s)", k, lines[i], want[k], map[bool]string{true: "netbase's answer", false: "IANA's"}[extra[k] == ""])
		}
	}
}

// TestExportServicesGoLookupPort: Go's net.LookupPort, which reads
// /etc/services itself and takes a name's last line, agrees with netbase
// on every name of it too, as does the cgo resolver (glibc's getaddrinfo)
// when this binary has one. The test binary runs itself in the namespace.
func TestExportServicesGoLookupPort(t *testing.T) {
	file := exportFile(t)
	b := inServicesNamespace(t, file, []string{"PORTOLAN_LOOKUP_HELPER=1"}, os.Args[0], "-test.run=^TestLookupPortHelper$", "-test.v")
	if !bytes.Contains(b, []byte("--- PASS: TestLookupPortHelper")) || !bytes.Contains(b, []byte("checked ")) {
		t.Errorf("lookups in the namespace:\n%.3000s", b)
	}
}

// TestLookupPortHelper is TestExportServicesGoLookupPort's child; it does
// nothing unless started by it.
func TestLookupPortHelper(t *testing.T) {
	if os.Getenv("PORTOLAN_LOOKUP_HELPER") != "1" {
		return
	}
	keys, want := netbaseAnswers(t)
	want["skytale/tcp"], want["x11/udp"] = "4319", "6000" // the export, not this machine's own file
	keys = append(keys, "skytale/tcp", "x11/udp")
	ctx := context.Background()
	resolvers := map[string]*net.Resolver{"go": {PreferGo: true}, "default": net.DefaultResolver}
	checked := 0
	for _, k := range keys {
		name, proto, _ := strings.Cut(k, "/")
		if name[0] >= '0' && name[0] <= '9' || (proto != "tcp" && proto != "udp") {
			continue // Go has no reverse lookup, and knows only tcp and udp
		}
		for rn, r := range resolvers {
			p, err := r.LookupPort(ctx, proto, name)
			if err != nil || strconv.Itoa(p) != want[k] {
				t.Errorf("%s resolver: LookupPort(%s, %s) = %d, %v; want %s", rn, proto, name, p, err, want[k])
			}
			checked++
		}
	}
	t.Logf("checked %d lookups", checked)
}

func TestExportJSONAndCSV(t *testing.T) {
	out, code := export(t, "json")
	var doc Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("json: %v, exit %d", err, code)
	}
	if doc.Updated != "2026-08-17" || len(doc.Records) != 14533 || len(doc.CommonUses) < 80 {
		t.Errorf("json: %s, %d records, %d common uses", doc.Updated, len(doc.Records), len(doc.CommonUses))
	}
	out, code = export(t, "csv")
	d, err := iana.ParseCSV(strings.NewReader(out))
	if err != nil || code != 0 {
		t.Fatalf("csv: %v", err)
	}
	if st := iana.Count(d); st.Records != 14533 || st.Ranges != 766 || st.ByProto["tcp"] != 6606 || st.ByStatus["alias"] != 188 {
		t.Errorf("csv reads back as %+v", st)
	}
	if _, code := export(t, "yaml"); code != 2 {
		t.Errorf("--format yaml: exit %d, want 2", code)
	}
}
