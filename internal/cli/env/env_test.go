package env

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/lease"
	"github.com/portolan-dev/portolan/storetest"
)

// WriteDotenv changes only its own keys' values: comments, other
// variables, odd spacing, CRLF lines and a last line without a newline
// stay byte for byte; missing keys are appended; the mode is kept.
func TestWriteDotenvKeepsForeignLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	before := "# shop settings\r\nDATABASE_URL=postgres://db/shop\n  export PORT_WEB = 3000\n\nPORT_WEB=1\n#PORT_API=9\nSECRET='a=b c'"
	if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteDotenv(path, [][2]string{{"PORT_API", "41235"}, {"PORT_WEB", "41234"}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "# shop settings\r\nDATABASE_URL=postgres://db/shop\n  export PORT_WEB=41234\n\nPORT_WEB=1\n#PORT_API=9\nSECRET='a=b c'\nPORT_API=41235\n"
	if string(b) != want {
		t.Errorf("after WriteDotenv:\n%q\nwant\n%q", b, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the old 0600", fi.Mode().Perm())
	}
	// Writing again changes nothing.
	if err := WriteDotenv(path, [][2]string{{"PORT_API", "41235"}, {"PORT_WEB", "41234"}}); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != want {
		t.Errorf("a second write changed the file: %q", again)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// env prints every named port of the checkout, and only those.
func TestEnvFormats(t *testing.T) {
	dir, _ := filepath.EvalSymlinks(t.TempDir())
	store := storetest.SQLite(t)
	a := lease.New(store, lease.Options{HostID: "h"})
	for _, k := range []portolan.NameKey{{Project: dir, Worktree: dir, Name: "web"}, {Project: dir, Worktree: dir, Name: "api-v2"}, {Project: "/else", Worktree: "/else", Name: "db"}} {
		if _, _, err := a.PortFor(context.Background(), portolan.NameRequest{Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	for format, check := range map[string]func(string) bool{
		"sh": func(s string) bool {
			return strings.Contains(s, "export PORT_WEB=") && strings.Contains(s, "export PORT_API_V2=")
		},
		"dotenv": func(s string) bool { return strings.HasPrefix(s, "PORT_API_V2=") && strings.Count(s, "\n") == 2 },
		"json":   func(s string) bool { return strings.Contains(s, `"PORT_WEB":`) && !strings.Contains(s, "PORT_DB") },
	} {
		ios, _, out, _ := iostreams.Test()
		o := &Options{IO: ios, Names: func() (portolan.NameService, error) { return a, nil }, Dir: dir, Format: format, Prefix: "PORT_"}
		if err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if s := out.String(); !check(s) || strings.Contains(s, "PORT_DB") {
			t.Errorf("--format %s:\n%s", format, s)
		}
	}
	for _, args := range [][]string{{"--format", "yaml"}, {"--prefix", "9X"}, {"--prefix", "A-B"}} {
		ios, _, _, _ := iostreams.Test()
		cmd := NewCmdEnv(&cmdutil.Factory{IOStreams: ios})
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); cmdutil.ExitCode(err) != 2 {
			t.Errorf("env %v: exit %d (%v), want 2", args, cmdutil.ExitCode(err), err)
		}
	}
}
