package registry

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	reg "github.com/portolan-dev/portolan/registry"
	"github.com/portolan-dev/portolan/registry/iana"
	"github.com/portolan-dev/portolan/registry/iana/ianatest"
)

const fixture = "../../../registry/iana/testdata/small.xml"

func TestInfo(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := RunInfo(&InfoOptions{IO: ios, Registry: func() (*reg.Registry, error) { return reg.Embedded(), nil }}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"updated\t2026-08-17\n", "snapshot\tembedded in the binary\n", "records\t14533\n",
		"by_protocol\ttcp 6606, udp 6356, sctp 93, dccp 11, none 1467\n", "ranges\t766\n", "without_number\t1070\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("info lacks %q:\n%s", want, out)
		}
	}
	out.Reset()
	if err := RunInfo(&InfoOptions{IO: ios, JSON: true, Registry: func() (*reg.Registry, error) { return reg.Embedded(), nil }}); err != nil {
		t.Fatal(err)
	}
	var in Info
	if err := json.Unmarshal(out.Bytes(), &in); err != nil || !in.Embedded || in.Stats.Records != 14533 || in.CommonUses < 80 {
		t.Errorf("json %v %+v", err, in)
	}
}

const (
	realXML  = "../../../registry/iana/testdata/service-names-port-numbers.xml.gz"
	olderXML = "../../../registry/iana/testdata/service-names-port-numbers-2025-08-26.xml.gz"
)

// writer returns a function that writes a file named name holding s into
// dir and returns its path.
func writer(t *testing.T, dir string) func(name, s string) string {
	return func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// TestUpdate installs a newer release into a private XDG_DATA_HOME; a bad
// file is refused naming the line, and the snapshot in place stays.
func TestUpdate(t *testing.T) {
	dataHome := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dataHome)
	newer := strings.Replace(string(ianatest.Gunzip(t, realXML)), "<updated>2026-08-17</updated>", "<updated>2099-12-31</updated>", 1)
	dir := t.TempDir()
	write := writer(t, dir)
	ios, _, out, _ := iostreams.Test()
	err := RunUpdate(&UpdateOptions{IO: ios, From: write("newer.xml", newer)})
	snap := filepath.Join(dataHome, "portolan", reg.SnapshotFile)
	if err != nil || !strings.Contains(out.String(), "IANA registry of 2099-12-31, 14533 records, at "+snap+" (replaces the release of 2026-08-17)\n") {
		t.Fatalf("update: %v %s", err, out)
	}
	before, _ := os.ReadFile(snap)
	if r := reg.Newest(); r.Updated() != "2099-12-31" || r.Path() != snap {
		t.Errorf("installed snapshot not in use: %s %s", r.Updated(), r.Path())
	}
	bad := strings.Replace(newer, "<number>80</number>", "<number>80000</number>", 1)
	line := strings.Count(bad[:strings.Index(bad, "<number>80000")], "\n") + 1
	badPath := write("bad.xml", bad)
	err = RunUpdate(&UpdateOptions{IO: ios, From: badPath})
	want := badPath + ": line " + strconv.Itoa(line) + `: <number> "80000" is not a port or range within 0-65535`
	if cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != want {
		t.Errorf("bad file: exit %d %q\nwant %q", cmdutil.ExitCode(err), cmdutil.Message(err), want)
	}
	after, _ := os.ReadFile(snap)
	if string(before) != string(after) {
		t.Error("a refused update changed the installed snapshot")
	}
	if err := RunUpdate(&UpdateOptions{IO: ios, From: filepath.Join(dir, "missing.xml")}); cmdutil.ExitCode(err) != 2 || !strings.Contains(cmdutil.Message(err), "missing.xml") {
		t.Errorf("missing file: %v", err)
	}
	// A CSV export of a yet newer release installs too, and so does gzip.
	d, err := iana.Parse(strings.NewReader(newer))
	if err != nil {
		t.Fatal(err)
	}
	d.Records[0].Updated = "2100-01-02" // a CSV release is dated by its newest record
	var csv strings.Builder
	iana.WriteCSV(&csv, d.Records, d.RangeForm)
	out.Reset()
	if err := RunUpdate(&UpdateOptions{IO: ios, From: write("ports.csv", csv.String()), JSON: true}); err != nil {
		t.Fatal(err)
	}
	var u Update
	if err := json.Unmarshal(out.Bytes(), &u); err != nil || u.Records != 14533 || u.Path != snap || u.Updated != "2100-01-02" || u.Replaced != "2099-12-31" || !u.InUse {
		t.Errorf("csv update: %v %+v", err, u)
	}
}

// TestUpdateRefusals: what `registry update` refuses, each with exit 2 and
// one line naming the file and saying why, leaving the release in use.
func TestUpdateRefusals(t *testing.T) {
	dataHome := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dataHome)
	snap := filepath.Join(dataHome, "portolan", reg.SnapshotFile)
	dir := t.TempDir()
	write := writer(t, dir)
	cur := string(ianatest.Gunzip(t, realXML))
	d, err := iana.Parse(strings.NewReader(cur))
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	iana.WriteCSV(&csv, d.Records, d.RangeForm)
	// The audit's file: the CSV of a newer release cut after 4,731 records,
	// at a line break and inside a line.
	for i := range d.Records {
		d.Records[i].Updated = max(d.Records[i].Updated, "2099-01-01")
	}
	var newerCSV strings.Builder
	iana.WriteCSV(&newerCSV, d.Records, d.RangeForm)
	var cut strings.Builder
	iana.WriteCSV(&cut, d.Records[:4731], nil)
	thinned := strings.Replace(cur, "<updated>2026-08-17</updated>", "<updated>2099-01-01</updated>", 1)
	// 3% of the records dropped: the last name-only ones, before <people>.
	recs := strings.Split(thinned, "<record")
	end := strings.Index(recs[len(recs)-1], "</record>") + len("</record>")
	tail := recs[len(recs)-1][end:]
	recs = recs[:len(recs)-437]
	recs[len(recs)-1] = recs[len(recs)-1][:strings.Index(recs[len(recs)-1], "</record>")+len("</record>")] + tail
	thinned = strings.Join(recs, "<record")

	big := write("big.csv", "Service Name")
	if err := os.Truncate(big, iana.MaxInput+1); err != nil { // sparse: no 64 MiB written
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file, want string
		force            bool
	}{
		{"older", olderXML, "the release of 2025-08-26 is older than the one in use of 2026-08-17 (embedded): the newest release always wins", false},
		{"older, forced", olderXML, "the release of 2025-08-26 is older than the one in use of 2026-08-17 (embedded): the newest release always wins", true},
		{"equal", realXML, "the release of 2026-08-17 is the one in use (embedded): nothing to install", false},
		{"csv cut at a line break", write("cut.csv", cut.String()), "the records stop at port 2590, not at 49151 as in every IANA release: the file is cut short", false},
		{"csv cut inside a line", write("cut2.csv", newerCSV.String()[:len(newerCSV.String())-200]), "3 fields where the header has 12: the line is cut short", false},
		{"csv without its last line break", write("cut3.csv", strings.TrimSuffix(newerCSV.String(), "\n")), "the file ends inside a line: it is cut short", false},
		{"3% fewer records", write("thin.xml", thinned), "14,096 records where the release in use has 14,533 (3% fewer, more than 2%): the file looks cut short; --force installs it", false},
		{"too large", big, "larger than 64 MiB", false},
	} {
		ios, _, out, _ := iostreams.Test()
		err := RunUpdate(&UpdateOptions{IO: ios, From: c.file, Force: c.force})
		msg := cmdutil.Message(err)
		if cmdutil.ExitCode(err) != 2 || !strings.HasPrefix(msg, c.file+": ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: exit %d %q\nwant one line %q", c.name, cmdutil.ExitCode(err), msg, c.file+": ... "+c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: printed %q", c.name, out)
		}
		if _, err := os.Stat(snap); !os.IsNotExist(err) {
			t.Fatalf("%s: a snapshot was written", c.name)
		}
	}
	// --force installs the thinned release, which is whole and newer.
	ios, _, _, _ := iostreams.Test()
	if err := RunUpdate(&UpdateOptions{IO: ios, From: filepath.Join(dir, "thin.xml"), Force: true}); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if r := reg.Newest(); r.Len() != 14096 || r.Path() != snap {
		t.Errorf("forced release: %d records at %q", r.Len(), r.Path())
	}
	// The whole newer CSV is not a drop from it.
	if err := RunUpdate(&UpdateOptions{IO: ios, From: write("whole.csv", newerCSV.String())}); err == nil || !strings.Contains(err.Error(), "is the one in use (installed)") {
		t.Errorf("the same date again: %v", err)
	}
}

func TestDiff(t *testing.T) {
	old := "../../../registry/iana/testdata/service-names-port-numbers-2025-08-26.xml.gz"
	cur := "../../../registry/iana/testdata/service-names-port-numbers.xml.gz"
	ios, _, out, _ := iostreams.Test()
	if err := RunDiff(&DiffOptions{IO: ios, Old: old, New: cur, JSON: true}); err != nil {
		t.Fatal(err)
	}
	var d iana.Delta
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.OldUpdated != "2025-08-26" || d.NewUpdated != "2026-08-17" || 14485+len(d.Added)-len(d.Removed) != 14533 || len(d.Changed) == 0 {
		t.Errorf("delta: %s→%s +%d -%d ~%d", d.OldUpdated, d.NewUpdated, len(d.Added), len(d.Removed), len(d.Changed))
	}
	out.Reset()
	if err := RunDiff(&DiffOptions{IO: ios, Old: old, New: cur}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "added\tskytale\ttcp\t4319\tassigned\tSentyron SkyTale encrypted communication\n") {
		t.Errorf("rows lack skytale:\n%.500s", out)
	}
	if err := RunDiff(&DiffOptions{IO: ios, Old: fixture, New: "/nonexistent.xml"}); cmdutil.ExitCode(err) != 2 {
		t.Errorf("missing file: %v", err)
	}
}

func TestSubcommandRequired(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdRegistry(&cmdutil.Factory{IOStreams: ios})
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); cmdutil.ExitCode(err) != 2 {
		t.Errorf("registry without a subcommand: %v", err)
	}
}

// A snapshot an older portolan installed (another format version) or a
// damaged one is passed over for the embedded one, and `registry info` says
// so and how to fix it, instead of silently showing the embedded release.
func TestInfoSaysWhySnapshotIsPassedOver(t *testing.T) {
	dataHome := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dataHome)
	snap := filepath.Join(dataHome, "portolan", reg.SnapshotFile)
	info := func() (Info, string) {
		t.Helper()
		ios, _, out, errOut := iostreams.Test()
		r := reg.Newest()
		if err := RunInfo(&InfoOptions{IO: ios, JSON: true, Registry: func() (*reg.Registry, error) { return r, nil }}); err != nil {
			t.Fatal(err)
		}
		var in Info
		if err := json.Unmarshal(out.Bytes(), &in); err != nil {
			t.Fatal(err)
		}
		return in, errOut.String()
	}
	if in, msg := info(); in.PassedOver != "" || msg != "" {
		t.Fatalf("no user snapshot: passed_over %q, stderr %q", in.PassedOver, msg)
	}
	if err := os.MkdirAll(filepath.Dir(snap), 0o755); err != nil {
		t.Fatal(err)
	}
	embedded, err := os.ReadFile("../../../registry/iana.snap")
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 of the format: the header's version word is 1.
	old := slices.Clone(embedded)
	old[8] = 1
	if err := os.WriteFile(snap, old, 0o644); err != nil {
		t.Fatal(err)
	}
	in, msg := info()
	if !in.Embedded || !strings.Contains(in.PassedOver, snap) || !strings.Contains(in.PassedOver, "version") {
		t.Errorf("a version-1 snapshot: embedded %v, passed_over %q", in.Embedded, in.PassedOver)
	}
	if !strings.HasPrefix(msg, "portolan: passed over the installed snapshot: "+snap) || !strings.Contains(msg, "registry update --from FILE") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q: want one line naming the file and the fix", msg)
	}
	// The embedded release itself, installed: not newer, so not used.
	if err := os.WriteFile(snap, embedded, 0o644); err != nil {
		t.Fatal(err)
	}
	// (an older portolan wrote it, or a portolan upgrade made it stale): the
	// rule at work, said in the JSON but not warned about on every run.
	if in, msg := info(); !in.Embedded || !strings.Contains(in.PassedOver, "not newer than the embedded one") || msg != "" {
		t.Errorf("the embedded release installed: embedded %v, passed_over %q, stderr %q", in.Embedded, in.PassedOver, msg)
	}
}

// A directory given as the file is named as one, not as "an empty file".
func TestDirectoryIsNotAFile(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	dir := t.TempDir()
	want := dir + " is a directory: want IANA's service-names-port-numbers.xml or .csv"
	for name, run := range map[string]func() error{
		"update --from DIR": func() error {
			ios, _, _, _ := iostreams.Test()
			return RunUpdate(&UpdateOptions{IO: ios, From: dir})
		},
		"diff DIR FILE": func() error {
			ios, _, _, _ := iostreams.Test()
			return RunDiff(&DiffOptions{IO: ios, Old: dir, New: fixture})
		},
		"diff FILE DIR": func() error {
			ios, _, _, _ := iostreams.Test()
			return RunDiff(&DiffOptions{IO: ios, Old: fixture, New: dir})
		},
	} {
		if err := run(); cmdutil.ExitCode(err) != 2 || cmdutil.Message(err) != want {
			t.Errorf("%s: exit %d %q, want 2 %q", name, cmdutil.ExitCode(err), cmdutil.Message(err), want)
		}
	}
}
