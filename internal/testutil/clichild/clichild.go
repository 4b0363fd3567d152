//go:build linux

// Package clichild makes a CLI verb's test binary its own program under
// test inside a network namespace: TestMain calls Main, and a test calls
// InNS to run the verb there (through setpriv when asked) and read its
// --json document, as a user would see it.
package clichild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/portolan-dev/portolan/internal/testnet"
)

// Main runs the verb when the variable env is set (it holds the verb's
// argument, possibly empty): run gets the value and the streams, and the
// process writes what the verb wrote and exits with its status. It returns
// at once in an ordinary test run.
func Main(env string, run func(arg string, ios *iostreams.IOStreams) error) {
	arg, ok := os.LookupEnv(env)
	if !ok {
		return
	}
	ios, _, out, errb := iostreams.Test()
	err := run(arg, ios)
	os.Stdout.Write(out.Bytes())
	os.Stderr.Write(errb.Bytes())
	if err != nil {
		fmt.Fprintln(os.Stderr, cmdutil.Message(err))
		os.Exit(cmdutil.ExitCode(err))
	}
	os.Exit(0)
}

// InNS runs exe (the test binary when empty) in ns through prefix with
// env=arg, decodes its standard output into v and returns its exit status.
func InNS(t testing.TB, ns *testnet.NS, exe, env, arg string, v any, prefix ...string) int {
	t.Helper()
	if exe == "" {
		exe, _ = os.Executable()
	}
	args := append([]string{"netns", "exec", ns.Name}, prefix...)
	cmd := exec.Command("ip", append(args, exe)...)
	cmd.Env = append(os.Environ(), env+"="+arg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("%s=%s: exit %d, %v\nstdout: %s\nstderr: %s", env, arg, code, err, stdout.Bytes(), stderr.Bytes())
	}
	return code
}
