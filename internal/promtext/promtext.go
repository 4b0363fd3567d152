// Package promtext keeps metric series (counters, histograms, labelled
// families) and writes them in Prometheus's text exposition format
// (version 0.0.4), by hand. The reference client would do the same, but its
// package initialisation (a default registry with Go and process
// collectors, procfs's regular expressions, protobuf descriptors) runs in
// every process that links it, and measured at ~0.8 ms of the ~5 ms a
// one-port lookup takes; portolan is one binary, so every verb would pay.
package promtext

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Counter counts whole events; safe for concurrent use.
type Counter struct{ n atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Value returns the count.
func (c *Counter) Value() uint64 { return c.n.Load() }

// Add adds v, a whole non-negative number of events.
func (c *Counter) Add(v float64) {
	if v > 0 {
		c.n.Add(uint64(v))
	}
}

// Family is one metric name with its help, type and labelled children,
// written in the order the children were first used (sorted at write time).
type Family[T any] struct {
	name, help, typ string
	labels          []string // label names, in the order WithLabelValues takes them
	newChild        func() *T

	mu       sync.RWMutex
	children map[string]*child[T]
}

type child[T any] struct {
	values []string
	m      *T
}

// NewFamily returns a family of the given type ("counter", "histogram",
// "gauge") whose children newChild makes.
func NewFamily[T any](name, help, typ string, labels []string, newChild func() *T) *Family[T] {
	return &Family[T]{name: name, help: help, typ: typ, labels: labels, newChild: newChild, children: map[string]*child[T]{}}
}

// WithLabelValues returns the child for the label values, creating it on
// first use.
func (f *Family[T]) WithLabelValues(values ...string) *T {
	key := strings.Join(values, "\xff")
	f.mu.RLock()
	c := f.children[key]
	f.mu.RUnlock()
	if c != nil {
		return c.m
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c = f.children[key]; c == nil {
		c = &child[T]{values: slices.Clone(values), m: f.newChild()}
		f.children[key] = c
	}
	return c.m
}

// sorted returns the children ordered by their label values.
func (f *Family[T]) sorted() []*child[T] {
	f.mu.RLock()
	out := make([]*child[T], 0, len(f.children))
	for _, c := range f.children {
		out = append(out, c)
	}
	f.mu.RUnlock()
	slices.SortFunc(out, func(a, b *child[T]) int { return slices.Compare(a.values, b.values) })
	return out
}

// Histogram counts observations into cumulative buckets.
type Histogram struct {
	upper  []float64 // bucket upper bounds, ascending
	counts []atomic.Uint64
	count  atomic.Uint64
	sum    atomic.Uint64 // float64 bits
}

func NewHistogram(upper []float64) *Histogram {
	return &Histogram{upper: upper, counts: make([]atomic.Uint64, len(upper))}
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	if i, _ := slices.BinarySearch(h.upper, v); i < len(h.upper) {
		h.counts[i].Add(1)
	}
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
	h.count.Add(1)
}

// Writer writes the text format; the first write error sticks.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter returns a Writer to w; call Flush when done.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

func (p *Writer) header(name, help, typ string) {
	p.w.WriteString("# HELP " + name + " " + strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help) + "\n")
	p.w.WriteString("# TYPE " + name + " " + typ + "\n")
}

// sample writes one line: the labels names=values sorted by name, as
// Prometheus clients write them, then extraName (le, quantile) if set.
func (p *Writer) sample(name string, names, values []string, extraName, extraValue string, v float64) {
	b := append(p.buf[:0], name...)
	type pair struct{ n, v string }
	pairs := make([]pair, 0, len(names)+1)
	for i, n := range names {
		pairs = append(pairs, pair{n, values[i]})
	}
	if extraName != "" {
		pairs = append(pairs, pair{extraName, extraValue})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int {
		// le and quantile stay last, as Prometheus clients write them.
		if a.n == extraName || b.n == extraName {
			return boolCmp(a.n == extraName, b.n == extraName)
		}
		return strings.Compare(a.n, b.n)
	})
	if len(pairs) > 0 {
		b = append(b, '{')
		for i, lp := range pairs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, lp.n...)
			b = append(b, '=', '"')
			b = appendLabelValue(b, lp.v)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, v)
	b = append(b, '\n')
	p.w.Write(b)
	p.buf = b
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// appendLabelValue escapes a label value: backslash, double quote and
// newline.
func appendLabelValue(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

func formatFloat(v float64) string { return string(appendFloat(nil, v)) }

// Counters writes a counter family.
func (p *Writer) Counters(f *Family[Counter]) {
	cs := f.sorted()
	if len(cs) == 0 {
		return // a family without series is left out, as Prometheus clients do
	}
	p.header(f.name, f.help, f.typ)
	for _, c := range cs {
		p.sample(f.name, f.labels, c.values, "", "", float64(c.m.n.Load()))
	}
}

// Histograms writes a histogram family.
func (p *Writer) Histograms(f *Family[Histogram]) {
	cs := f.sorted()
	if len(cs) == 0 {
		return
	}
	p.header(f.name, f.help, f.typ)
	for _, c := range cs {
		h := c.m
		var cum uint64
		for i, ub := range h.upper {
			cum += h.counts[i].Load()
			p.sample(f.name+"_bucket", f.labels, c.values, "le", formatFloat(ub), float64(cum))
		}
		n := h.count.Load()
		p.sample(f.name+"_bucket", f.labels, c.values, "le", "+Inf", float64(n))
		p.sample(f.name+"_sum", f.labels, c.values, "", "", math.Float64frombits(h.sum.Load()))
		p.sample(f.name+"_count", f.labels, c.values, "", "", float64(n))
	}
}

// Single writes a family of one unlabelled sample.
func (p *Writer) Single(name, help, typ string, v float64) {
	p.header(name, help, typ)
	p.sample(name, nil, nil, "", "", v)
}

// Gauges writes a gauge family with one label, a sample per value in
// values' order (every known value, zeros included, so a series never
// vanishes when its count drops to nothing).
func (p *Writer) Gauges(name, help, label string, values []string, v func(string) float64) {
	p.header(name, help, "gauge")
	for _, lv := range values {
		p.sample(name, []string{label}, []string{lv}, "", "", v(lv))
	}
}

// Flush writes what is buffered and returns the first write error.
func (p *Writer) Flush() error { return p.w.Flush() }
