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

// TestUpdate installs a file into a private XDG_DATA_HOME; a bad file is
// refused naming the line, and the snapshot in place stays.
func TestUpdate(t *testing.T) {
	dataHome := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dataHome)
	good, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	newer := strings.Replace(string(good), "<updated>2026-08-17</updated>", "<updated>2099-12-31</updated>", 1)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ios, _, out, _ := iostreams.Test()
	err = RunUpdate(&UpdateOptions{IO: ios, From: write("newer.xml", newer)})
	snap := filepath.Join(dataHome, "portolan", reg.SnapshotFile)
	if err != nil || !strings.Contains(out.String(), "IANA registry of 2099-12-31, 54 records, at "+snap) {
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
	// A CSV export installs too.
	d, _ := iana.ParseFile(fixture)
	var csv strings.Builder
	iana.WriteCSV(&csv, d.Records, d.RangeForm)
	out.Reset()
	if err := RunUpdate(&UpdateOptions{IO: ios, From: write("ports.csv", csv.String()), JSON: true}); err != nil {
		t.Fatal(err)
	}
	var u Update
	if err := json.Unmarshal(out.Bytes(), &u); err != nil || u.Records != 54 || u.Path != snap {
		t.Errorf("csv update: %v %+v", err, u)
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
	if in, _ := info(); !in.Embedded || !strings.Contains(in.PassedOver, "not newer than the embedded one") {
		t.Errorf("the embedded release installed: embedded %v, passed_over %q", in.Embedded, in.PassedOver)
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
