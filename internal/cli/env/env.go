// Package env is the `portolan env` verb: every named port of this checkout
// as environment variables (PORT_WEB=41234), for a shell, a dotenv file or
// a program, so each service knows its siblings' ports.
package env

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/checkout"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

// Options are the inputs of one run.
type Options struct {
	IO     *iostreams.IOStreams
	Names  func() (portolan.NameService, error)
	Dir    string
	Format string // sh, dotenv or json
	Prefix string
	Write  string // a dotenv file to update in place
}

// NewCmdEnv returns the env command.
func NewCmdEnv(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "env [--format sh|dotenv|json] [--prefix PORT_] [--write FILE]",
		Short: "This checkout's named ports as environment variables (PORT_WEB=41234)",
		Long: `Print every named port of this checkout as a variable: PREFIX plus the name in
upper case, hyphens as underscores (web → PORT_WEB, api-v2 → PORT_API_V2).

--format sh (default) prints export lines for eval, dotenv KEY=VALUE lines, json one
object. --write FILE updates a dotenv file in place: only its own keys change, every
other line (comments, other variables, blank lines) stays byte for byte, missing keys
are appended, and the file is replaced atomically.`,
		Example: `  eval "$(portolan env)"
  portolan env --write .env
  portolan env --format json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch opts.Format {
			case "sh", "dotenv", "json":
			default:
				return cmdutil.FlagErrorf("--format %q is not one of sh, dotenv, json", opts.Format)
			}
			if !validPrefix(opts.Prefix) {
				return cmdutil.FlagErrorf("--prefix %q is not a variable prefix: want letters, digits and underscores, e.g. PORT_", opts.Prefix)
			}
			opts.Names = f.Names
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "sh", "sh, dotenv or json")
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "PORT_", "variable name prefix")
	cmd.Flags().StringVar(&opts.Write, "write", "", "update this dotenv file in place (its own keys only)")
	cmd.Flags().StringVar(&opts.Dir, "project", "", "the checkout's directory (default: the working directory)")
	return cmd
}

func validPrefix(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Vars returns the checkout's named ports as variables, sorted by name.
func Vars(ctx context.Context, svc portolan.NameService, worktree, prefix string) ([][2]string, error) {
	all, err := svc.NamedPorts(ctx)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, np := range all {
		if np.Worktree == worktree {
			out = append(out, [2]string{portolan.EnvName(prefix, np.Name), np.Port.String()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out, nil
}

// Run prints or writes the variables.
func Run(ctx context.Context, o *Options) error {
	key, _, err := checkout.Key(o.Dir, "")
	if err != nil {
		return err
	}
	svc, err := o.Names()
	if err != nil {
		return err
	}
	vars, err := Vars(ctx, svc, key.Worktree, o.Prefix)
	if err != nil {
		return err
	}
	if o.Write != "" {
		return WriteDotenv(o.Write, vars)
	}
	var b bytes.Buffer
	switch o.Format {
	case "json":
		m := map[string]any{}
		for _, v := range vars {
			m[v[0]] = json(v[1])
		}
		return cmdutil.WriteJSON(o.IO, m)
	case "dotenv":
		for _, v := range vars {
			fmt.Fprintf(&b, "%s=%s\n", v[0], v[1])
		}
	default:
		for _, v := range vars {
			fmt.Fprintf(&b, "export %s=%s\n", v[0], v[1])
		}
	}
	_, err = o.IO.Out.Write(b.Bytes())
	return err
}

// json keeps a port a JSON number.
func json(s string) any {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// WriteDotenv updates path in place: lines assigning one of vars' keys
// (KEY=..., export KEY=..., with any spacing before the key) get the new
// value, every other byte stays, missing keys are appended, and the file
// is replaced atomically (a temporary file beside it, synced, renamed over
// it) with the old file's mode; a missing file is created 0644.
func WriteDotenv(path string, vars [][2]string) error {
	old, err := os.ReadFile(path)
	mode := os.FileMode(0o644)
	if err == nil {
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	} else if !os.IsNotExist(err) {
		return portolan.Errorf(portolan.EINVALID, "cannot read %s: %v", path, err)
	}
	want := map[string]string{}
	for _, v := range vars {
		want[v[0]] = v[1]
	}
	done := map[string]bool{}
	var b bytes.Buffer
	rest := old
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		if k, prefix, ok := assigned(line); ok {
			if v, mine := want[k]; mine && !done[k] {
				nl := ""
				if bytes.HasSuffix(line, []byte("\n")) {
					nl = "\n"
				}
				b.WriteString(prefix + k + "=" + v + nl)
				done[k] = true
				continue
			}
		}
		b.Write(line)
	}
	for _, v := range vars {
		if done[v[0]] {
			continue
		}
		if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteString(v[0] + "=" + v[1] + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return portolan.Errorf(portolan.EINVALID, "cannot write beside %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// assigned returns the key a dotenv line assigns and what precedes the key
// (indentation, "export "); false for comments, blanks and anything else.
func assigned(line []byte) (key, prefix string, ok bool) {
	s := strings.TrimRight(string(line), "\r\n")
	body := strings.TrimLeft(s, " \t")
	lead := s[:len(s)-len(body)]
	if rest, ok := strings.CutPrefix(body, "export "); ok {
		lead += "export "
		body = strings.TrimLeft(rest, " \t")
	}
	k, _, found := strings.Cut(body, "=")
	k = strings.TrimRight(k, " \t")
	if !found || k == "" || strings.HasPrefix(k, "#") || strings.ContainsAny(k, " \t") {
		return "", "", false
	}
	return k, lead, true
}
