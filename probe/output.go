package probe

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// CollapseOver is nmap's rule for long lists: on one address, a closed or
// filtered state held by more than this many ports is summarised ("65529
// closed") instead of listed, unless every port is asked for.
const CollapseOver = 25

// Host groups one address's results, in port order.
type Host struct {
	Target  string
	Addr    netip.Addr
	Results []Result      // every probed port
	Shown   []Result      // the ports to list
	Hidden  map[State]int // collapsed states and their counts
}

// Show selects what to list.
type Show uint8

const (
	ShowDefault Show = iota // open, plus closed/filtered when few (CollapseOver)
	ShowOpen                // open ports only
	ShowAll                 // every port
)

// Group sorts results by target (in the order first seen), address and
// port, and decides per address which ports to list.
func Group(res []Result, show Show) []Host {
	order := map[string]int{}
	for _, r := range res {
		if _, ok := order[r.Target]; !ok {
			order[r.Target] = len(order)
		}
	}
	sorted := slices.Clone(res)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		if c := cmp.Compare(order[a.Target], order[b.Target]); c != 0 {
			return c
		}
		if c := a.Addr.Addr().Compare(b.Addr.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Port, b.Port)
	})
	var hosts []Host
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Target == sorted[i].Target && sorted[j].Addr.Addr() == sorted[i].Addr.Addr() {
			j++
		}
		h := Host{Target: sorted[i].Target, Addr: sorted[i].Addr.Addr(), Results: sorted[i:j], Hidden: map[State]int{}}
		counts := map[State]int{}
		for _, r := range h.Results {
			counts[r.State]++
		}
		for _, r := range h.Results {
			list := r.State == Open || show == ShowAll ||
				(show == ShowDefault && (r.State == Error || counts[r.State] <= CollapseOver))
			if list {
				h.Shown = append(h.Shown, r)
			} else {
				h.Hidden[r.State]++
			}
		}
		hosts = append(hosts, h)
		i = j
	}
	return hosts
}

// Count returns how many results are in state st.
func Count(res []Result, st State) int {
	n := 0
	for _, r := range res {
		if r.State == st {
			n++
		}
	}
	return n
}

// Row is a result's table cells: TARGET ADDRESS PORT STATE SERVICE
// COMMON-USE PROCESS BANNER. Closed and filtered rows show the reason in
// the service column's place only when there is no service name.
func Row(r Result) []string {
	proc := ""
	if r.Process != nil {
		proc = fmt.Sprintf("%s[%d]", r.Process.Name, r.Process.PID)
	}
	state := r.State.String()
	if r.Error != "" {
		state += ": " + r.Error
	}
	return []string{r.Target, r.Addr.Addr().String(), r.Port.String(), state, r.Service, strings.Join(r.CommonUses, ", "), proc, r.Banner}
}

// RowHeader names Row's cells.
var RowHeader = []string{"TARGET", "ADDRESS", "PORT", "STATE", "SERVICE", "COMMON USE", "PROCESS", "BANNER"}

// WriteJSONLines writes one JSON object per result and line.
func WriteJSONLines(w io.Writer, res []Result) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, r := range res {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Meta describes a scan run for the grepable and XML formats.
type Meta struct {
	Args    string // the command line
	Version string
	Start   time.Time
	End     time.Time
	Ports   string // the port spec scanned, compact (1-1024,8080)
	NPorts  int
	Note    string // where --top came from, when it did
	Stats   Stats
}

// WriteGrepable writes nmap's -oG format: a comment line, one line per
// address with every listed port as port/state/protocol//service///, the
// collapsed state as "Ignored State" when there is one (nmap 7.93 writes
// none when two states are collapsed), and a closing comment.
func WriteGrepable(w io.Writer, hosts []Host, m Meta) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# portolan %s scan initiated %s as: %s\n", m.Version, m.Start.Format(time.ANSIC), m.Args)
	if m.Note != "" {
		fmt.Fprintf(bw, "# %s\n", m.Note)
	}
	for _, h := range hosts {
		name := ""
		if h.Target != h.Addr.String() {
			name = h.Target
		}
		fmt.Fprintf(bw, "Host: %s (%s)\tStatus: Up\n", h.Addr, name)
		fmt.Fprintf(bw, "Host: %s (%s)\tPorts: ", h.Addr, name)
		for i, r := range h.Shown {
			if i > 0 {
				bw.WriteString(", ")
			}
			fmt.Fprintf(bw, "%d/%s/tcp//%s///", r.Port, r.State, grepSafe(r.Service))
		}
		if h.Hidden[Closed] > 0 && h.Hidden[Filtered] == 0 {
			fmt.Fprintf(bw, "\tIgnored State: %s (%d)", Closed, h.Hidden[Closed])
		} else if h.Hidden[Filtered] > 0 && h.Hidden[Closed] == 0 {
			fmt.Fprintf(bw, "\tIgnored State: %s (%d)", Filtered, h.Hidden[Filtered])
		}
		bw.WriteByte('\n')
	}
	fmt.Fprintf(bw, "# portolan done at %s -- %d IP address(es) scanned in %.2f seconds\n", m.End.Format(time.ANSIC), len(hosts), m.End.Sub(m.Start).Seconds())
	return bw.Flush()
}

// grepSafe keeps a field from breaking -oG's / and , separators.
func grepSafe(s string) string {
	return strings.NewReplacer("/", "|", ",", " ").Replace(s)
}
