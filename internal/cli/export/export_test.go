package export

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
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

// TestExportServicesGetent feeds the export to glibc itself: in a private
// mount namespace the file is bind-mounted over /etc/services and getent
// resolves ports and names through it. Needs root and unshare(1).
func TestExportServicesGetent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount over /etc/services in a private mount namespace")
	}
	for _, tool := range []string{"unshare", "getent", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	out, _ := export(t, "services")
	file := filepath.Join(t.TempDir(), "services")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `mount --bind "$1" /etc/services && getent services 80/tcp && getent services www-http && getent services 6010/tcp || true; getent services xmlipcregsvc; getent services XmlIpcRegSvc/udp`
	b, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", file).CombinedOutput()
	if err != nil && !bytes.Contains(b, []byte("http")) {
		t.Skipf("cannot use a mount namespace here: %v: %s", err, b)
	}
	got := strings.Fields(string(b))
	want := strings.Fields(`http 80/tcp www www-http
http 80/tcp www www-http
XmlIpcRegSvc 9092/udp`)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("getent through the exported file:\n%s\nwant\n%s", b, strings.Join(want, " "))
	}
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
