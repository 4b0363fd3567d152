package root

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/internal/cli/cmdutil"
	"github.com/portolan-dev/portolan/registry"
	"github.com/spf13/cobra"
)

// verbTypo returns a usage error (exit 2) when word, the first argument
// of a lookup, is not something a lookup can find but is one or two
// keystrokes from a verb: `portolan lsit`, `portolan kil 3000`, `portolan
// serv`. Anything a lookup can answer still goes to the lookup: ports,
// ranges, IANA names, common-use names and the organisation's assignment
// names (read only on this path, which a real lookup rarely takes).
func verbTypo(ctx context.Context, f *cmdutil.Factory, root *cobra.Command, word string) error {
	w := strings.ToLower(word)
	if len(w) < 2 || strings.ContainsFunc(w, func(r rune) bool { return r < 'a' || r > 'z' }) {
		return nil // verbs are lowercase words; ports, ranges and 53/udp are not
	}
	verbs := closeVerbs(root, w)
	if len(verbs) == 0 || knownName(ctx, f, w) {
		return nil
	}
	for i, v := range verbs {
		verbs[i] = `"portolan ` + v + `"`
	}
	return cmdutil.FlagErrorf("%q is not a port, a service name or a command: did you mean %s? (see 'portolan --help')", word, strings.Join(verbs, " or "))
}

// closeVerbs returns the verbs nearest to w, if any is near enough: at
// most one edit (insertion, deletion, substitution or swap of neighbours)
// for words up to three letters, two for longer ones, or w a prefix of
// the verb.
func closeVerbs(root *cobra.Command, w string) []string {
	limit := 1
	if len(w) >= 4 {
		limit = 2
	}
	best, out := limit+1, []string(nil)
	names := []string{"version"}
	for _, c := range root.Commands() {
		if !c.Hidden {
			names = append(names, c.Name())
			names = append(names, c.Aliases...)
		}
	}
	for _, n := range names {
		d := editDistance(w, n)
		if len(w) >= 3 && strings.HasPrefix(n, w) {
			d = min(d, 1)
		}
		switch {
		case d > limit:
		case d == 0:
			return nil // the verb itself (cobra would have run it)
		case d < best:
			best, out = d, []string{n}
		case d == best && !slices.Contains(out, n):
			out = append(out, n)
		}
	}
	if len(out) > 1 {
		// "lsit" is two edits from ls and from wait: the one that starts
		// like the word is the one meant.
		same := slices.DeleteFunc(slices.Clone(out), func(n string) bool { return n[0] != w[0] })
		if len(same) > 0 {
			out = same
		}
	}
	return out
}

// knownName reports whether a lookup of w would find something by name.
func knownName(ctx context.Context, f *cmdutil.Factory, w string) bool {
	if f.Registry != nil {
		if reg, err := f.Registry(); err == nil && len(reg.ByName(w)) > 0 {
			return true
		}
	}
	for _, c := range registry.AllCommonUses() {
		if strings.EqualFold(c.Name, w) {
			return true
		}
	}
	g := f
	if f.ReadOnly != nil {
		g = f.ReadOnly()
	}
	if g.Assignments != nil {
		if svc, err := g.Assignments(); err == nil {
			if as, err := svc.Assignments(ctx, portolan.AssignmentFilter{Name: w}); err == nil && len(as) > 0 {
				return true
			}
		}
	}
	return false
}

// editDistance is the optimal-string-alignment distance between a and b
// (ASCII words): insertions, deletions, substitutions and swaps of
// neighbouring letters each count one.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// versionLine is what --version and `portolan version` print: the build
// and the date of the IANA registry in use (read only when asked).
func versionLine(f *cmdutil.Factory) string {
	date := "unknown"
	if f.Registry != nil {
		if reg, err := f.Registry(); err != nil {
			date = "unreadable"
		} else if reg.Path() != "" {
			date = reg.Updated() + ", from " + reg.Path()
		} else {
			date = reg.Updated() + ", embedded"
		}
	}
	return fmt.Sprintf("portolan %s (IANA registry of %s)", buildVersion(f.Version), date)
}
