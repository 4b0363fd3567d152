package search

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/registry"
)

func run(tty, js bool, limit int, words ...string) (string, string, int) {
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	err := Run(&Options{IO: ios, Registry: func() (*registry.Registry, error) { return registry.Embedded(), nil }, Words: words, Limit: limit, JSON: js})
	return out.String(), errOut.String() + cmdutil.Message(err), cmdutil.ExitCode(err)
}

func TestSearch(t *testing.T) {
	out, _, code := run(false, false, 3, "kerberos")
	want := "iana\tkerberos\ttcp\t88\tassigned\tKerberos\t1200\niana\tkerberos\tudp\t88\tassigned\tKerberos\t1200\niana\tkerberos-adm\ttcp\t749\tassigned\tkerberos administration\t500\n"
	if code != 0 || out != want {
		t.Errorf("exit %d:\n%s\nwant\n%s", code, out, want)
	}
	out, _, code = run(true, false, 0, "elasticsearch")
	if code != 0 || !strings.Contains(out, "Common use (de-facto, not IANA)") || !strings.Contains(out, "9200") {
		t.Errorf("elasticsearch (common use only): exit %d\n%s", code, out)
	}
	out, _, code = run(false, true, 2, "secure", "shell")
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.Results[0].Name != "ssh" || res.Results[0].Score == 0 || len(res.Results) != 2 {
		t.Errorf("json: %v exit %d %s", err, code, out)
	}
	_, msg, code := run(false, false, 0, "zzzqqqxx")
	if code != 1 || !strings.Contains(msg, `matches "zzzqqqxx"`) {
		t.Errorf("no match: exit %d %q", code, msg)
	}
	if _, _, code := run(false, false, -1, "x"); code != 2 {
		t.Errorf("negative limit: exit %d", code)
	}
}

// --limit counts every row, common uses included, and says when it cut.
func TestSearchLimitCountsEverythingAndSaysSo(t *testing.T) {
	all, _, _ := run(false, false, 0, "elasticsearch")
	n := strings.Count(all, "\n")
	if n < 2 {
		t.Fatalf("want several matches for elasticsearch, got %q", all)
	}
	out, errOut, code := run(false, false, 1, "elasticsearch")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "showing 1 of ") || !strings.Contains(errOut, "--limit 0 shows all") {
		t.Errorf("--limit 1: %q %q exit %d; want one row and a note on stderr", out, errOut, code)
	}
	out, _, _ = run(false, true, 1, "elasticsearch")
	var res Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Truncated || res.Total != n || len(res.Results)+len(res.CommonUses) != 1 {
		t.Errorf("--limit 1 --json: %v %s", err, out)
	}
	if _, errOut, _ := run(false, false, 0, "elasticsearch"); strings.Contains(errOut, "showing") {
		t.Errorf("no limit, yet a note: %q", errOut)
	}
}
