// Package registry is portolan's knowledge base: IANA's port registry from
// an embedded snapshot (or a newer one the user installed with `portolan
// registry update`), the curated common uses IANA does not list, ranked
// search, and this host's port ranges. It uses the standard library only.
//
// Lookups return slices that share the registry's memory: callers must not
// modify them. Each record is decoded from the snapshot the first time a
// lookup reaches it, so start-up costs nothing and repeated lookups allocate
// nothing.
package registry

//go:generate go run ./iana/cmd/gen -in iana/testdata/service-names-port-numbers.xml.gz -out iana.snap

import (
	_ "embed"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry/iana"
)

//go:embed iana.snap
var embedded string

// Registry answers questions about ports and service names. It is safe for
// concurrent use.
type Registry struct {
	sn   *iana.Snapshot
	path string // the user snapshot it was read from; "" when embedded

	mu     sync.Mutex              // serializes decoding
	blocks []atomic.Pointer[block] // decoded records, one block per RunAlign entries of the order table

	allOnce sync.Once
	all     *iana.Data

	searchOnce sync.Once
	search     *searchIndex
}

// Open reads an encoded snapshot; verify checks every byte of it, as for
// files from disk.
func Open(snapshot string, verify bool) (*Registry, error) {
	sn, err := iana.Open(snapshot, verify)
	if err != nil {
		return nil, err
	}
	n := (sn.OrderLen() + iana.RunAlign - 1) / iana.RunAlign
	return &Registry{sn: sn, blocks: make([]atomic.Pointer[block], n)}, nil
}

// Embedded returns the registry built into the binary.
func Embedded() *Registry {
	embeddedOnce.Do(func() {
		r, err := Open(embedded, false)
		if err != nil {
			panic("registry: embedded snapshot is damaged: " + err.Error())
		}
		embeddedReg = r
	})
	return embeddedReg
}

var (
	embeddedOnce sync.Once
	embeddedReg  *Registry

	defaultOnce sync.Once
	defaultReg  *Registry
)

// Default returns the newest valid snapshot: the user's, installed by
// `portolan registry update`, when it is newer than the embedded one;
// otherwise the embedded one. It is loaded once per process.
func Default() (*Registry, error) {
	defaultOnce.Do(func() { defaultReg = Newest() })
	return defaultReg, nil
}

// Newest loads the user's snapshot afresh and returns it when it is valid
// and newer than the embedded one, else the embedded one. A damaged user
// file is passed over, so the old data stays in use.
func Newest() *Registry {
	emb := Embedded()
	if u, err := loadUser(); err == nil && u.Updated() > emb.Updated() {
		return u
	}
	return emb
}

// PassedOver says why the user's snapshot is not the one in use, or "" when
// there is none or it is in use. damaged is true for a file that cannot be
// used at all (damaged, or written by an older portolan in another format);
// false for a valid release no newer than the embedded one, which is the
// newest-wins rule at work (a portolan upgrade brought a newer release) and
// needs no action.
func PassedOver(inUse *Registry) (why string, damaged bool) {
	p, err := UserSnapshotPath()
	if err != nil || (inUse != nil && inUse.Path() == p) {
		return "", false
	}
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	u, err := OpenFile(p)
	if err != nil {
		return portolan.ErrorMessage(err), true
	}
	if emb := Embedded(); u.Updated() <= emb.Updated() {
		return fmt.Sprintf("%s: the release of %s is not newer than the embedded one of %s", p, u.Updated(), emb.Updated()), false
	}
	return "", false
}

// Updated is the date of the registry release, YYYY-MM-DD.
func (r *Registry) Updated() string { return r.sn.Updated() }

// Source names the file the snapshot was generated from.
func (r *Registry) Source() string { return r.sn.Source() }

// Path is the user snapshot file the registry was read from, or "" for the
// embedded snapshot.
func (r *Registry) Path() string { return r.path }

// Len is the number of IANA records.
func (r *Registry) Len() int { return r.sn.Len() }

// block holds the decoded records of RunAlign consecutive entries of the
// order table; it is allocated when a lookup first reaches it, and each
// record is decoded when a lookup first returns it.
type block struct {
	svc    [iana.RunAlign]portolan.Service
	filled [iana.RunAlign]atomic.Bool
}

// run returns the decoded records of an order-table run; runs never cross
// a block boundary.
func (r *Registry) run(start, n int) []portolan.Service {
	if n == 0 {
		return nil
	}
	bi, off := start/iana.RunAlign, start%iana.RunAlign
	b := r.blocks[bi].Load()
	for i := off; b == nil || i < off+n; i++ {
		if b == nil || !b.filled[i].Load() {
			b = r.fill(bi, off, n)
			break
		}
	}
	return b.svc[off : off+n : off+n]
}

func (r *Registry) fill(bi, off, n int) *block {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.blocks[bi].Load()
	if b == nil {
		b = new(block)
		r.blocks[bi].Store(b)
	}
	for i := off; i < off+n; i++ {
		if !b.filled[i].Load() {
			b.svc[i] = r.sn.Record(r.sn.OrderAt(bi*iana.RunAlign + i))
			b.filled[i].Store(true)
		}
	}
	return b
}

// ByPort returns the records on port p for proto (ProtoAny: every
// protocol), including ranges that cover p (6010/tcp finds x11's 6000-6063)
// and records without a protocol. Per protocol, single ports come before
// ranges and primary names before their aliases.
func (r *Registry) ByPort(p portolan.Port, proto portolan.Proto) []portolan.Service {
	return r.run(r.sn.PortRun(p, proto))
}

// ByName returns the records named name, matched case-insensitively; the
// records keep IANA's spelling. They are ordered by port, then protocol;
// records without a port (DNS-SD names) come last.
func (r *Registry) ByName(name string) []portolan.Service {
	return r.run(r.sn.NameRun(name))
}

// Primary returns the primary assigned name on (p, proto): the first named
// record that is not an alias. It is what a table column shows.
func (r *Registry) Primary(p portolan.Port, proto portolan.Proto) (portolan.Service, bool) {
	for _, s := range r.ByPort(p, proto) {
		if s.Name != "" && isAssignment(s.Status) && s.Status != portolan.Alias {
			return s, true
		}
	}
	return portolan.Service{}, false
}

// Assigned reports whether IANA assigns (p, proto) to something: a record
// other than Reserved, Unassigned or Removed exists.
func (r *Registry) Assigned(p portolan.Port, proto portolan.Proto) bool {
	for _, s := range r.ByPort(p, proto) {
		if isAssignment(s.Status) {
			return true
		}
	}
	return false
}

func isAssignment(st portolan.Status) bool {
	switch st {
	case portolan.Reserved, portolan.Unassigned, portolan.Removed:
		return false
	}
	return true
}

// Records returns every record in IANA's order. The first call decodes them
// all; use ByPort and ByName for single answers.
func (r *Registry) Records() []portolan.Service { return r.Data().Records }

// Data returns the whole release as the IANA parser gives it (records in
// IANA's order, the date, the source), decoded once. Callers must not
// modify it.
func (r *Registry) Data() *iana.Data {
	r.allOnce.Do(func() { r.all = r.sn.Data() })
	return r.all
}
