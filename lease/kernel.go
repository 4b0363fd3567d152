package lease

import (
	"os"
	"strings"
	"sync"

	"github.com/portolan-dev/portolan"
)

// ReservedPortsFile is where Linux keeps the ports automatic assignment
// skips (bind to port 0, the source port of outgoing connections); it is
// per network namespace.
const ReservedPortsFile = "/proc/sys/net/ipv4/ip_local_reserved_ports"

// KernelReserver adds leased ports to ip_local_reserved_ports while they
// are leased, so neither bind(0) nor an outgoing connection takes them
// from the holder between its lease and its bind. It needs root. It only
// ever removes ports it added itself: ports reserved before it started, or
// by someone else meanwhile, stay, and Close leaves the file as it found it.
type KernelReserver struct {
	path string

	mu       sync.Mutex
	ours     bitset // reserved by us
	original string
}

var _ Reserver = (*KernelReserver)(nil)

// NewKernelReserver opens path (ReservedPortsFile for ""), checking that
// it can be written: EFORBIDDEN otherwise.
func NewKernelReserver(path string) (*KernelReserver, error) {
	if path == "" {
		path = ReservedPortsFile
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, portolan.Errorf(portolan.EUNSUPPORTED, "cannot read %s: %s", path, pathErr(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, portolan.Errorf(portolan.EFORBIDDEN, "--reserve-kernel needs root: cannot write %s: %s", path, pathErr(err))
	}
	f.Close()
	if _, err := ParseReserved(string(b)); err != nil {
		return nil, err
	}
	return &KernelReserver{path: path, original: strings.TrimSpace(string(b))}, nil
}

func pathErr(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// Add reserves ports that are not reserved already.
func (k *KernelReserver) Add(ports []portolan.Port) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, err := k.read()
	if err != nil {
		return err
	}
	changed := false
	for _, p := range ports {
		if !cur.has(p) {
			cur.set(p)
			k.ours.set(p)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return k.write(cur)
}

// Remove drops the reservations this reserver made for ports.
func (k *KernelReserver) Remove(ports []portolan.Port) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, err := k.read()
	if err != nil {
		return err
	}
	changed := false
	for _, p := range ports {
		if k.ours.has(p) {
			k.ours.clear(p)
			cur.clear(p)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return k.write(cur)
}

// Close removes every reservation this reserver made. When nobody else
// changed the file meanwhile, it holds exactly what it held at the start.
func (k *KernelReserver) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, err := k.read()
	if err != nil {
		return err
	}
	for i := range cur {
		cur[i] &^= k.ours[i]
	}
	k.ours = bitset{}
	if err := k.write(cur); err != nil {
		return err
	}
	return nil
}

// Original returns the file's content when the reserver opened it.
func (k *KernelReserver) Original() string { return k.original }

func (k *KernelReserver) read() (*bitset, error) {
	b, err := os.ReadFile(k.path)
	if err != nil {
		return nil, err
	}
	rs, err := ParseReserved(string(b))
	if err != nil {
		return nil, err
	}
	var set bitset
	for _, r := range rs {
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			set.set(portolan.Port(p))
		}
	}
	return &set, nil
}

func (k *KernelReserver) write(set *bitset) error {
	var ports []portolan.Port
	for i, w := range set {
		for w != 0 {
			bit := trailingZeros(w)
			ports = append(ports, portolan.Port(i*64+bit))
			w &= w - 1
		}
	}
	s := FormatReserved(ports)
	// The kernel parses one write; an empty line clears the list.
	if err := os.WriteFile(k.path, []byte(s+"\n"), 0); err != nil {
		return portolan.Errorf(portolan.EFORBIDDEN, "cannot write %s: %s", k.path, pathErr(err))
	}
	return nil
}

func trailingZeros(w uint64) int {
	n := 0
	for w&1 == 0 {
		w >>= 1
		n++
	}
	return n
}
