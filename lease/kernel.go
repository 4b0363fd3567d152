package lease

import (
	"math/bits"
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
	if _, err := parseReserved(string(b)); err != nil {
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

// Missing returns the ports of ports that are not reserved now.
func (k *KernelReserver) Missing(ports []portolan.Port) ([]portolan.Port, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, err := k.read()
	if err != nil {
		return nil, err
	}
	var out []portolan.Port
	for _, p := range ports {
		if !cur.has(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Add reserves ports that are not reserved already and returns those it
// added: the ones it will remove again.
func (k *KernelReserver) Add(ports []portolan.Port) ([]portolan.Port, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, err := k.read()
	if err != nil {
		return nil, err
	}
	var added []portolan.Port
	for _, p := range ports {
		if !cur.has(p) {
			cur.set(p)
			added = append(added, p)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	if err := k.write(cur); err != nil {
		return nil, err
	}
	for _, p := range added {
		k.ours.set(p)
	}
	return added, nil
}

// Adopt takes the ports of ports that are reserved now as its own: what a
// crashed predecessor added (its record says which), so that they are
// removed when no lease needs them.
func (k *KernelReserver) Adopt(ports []portolan.Port) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur, err := k.read()
	if err != nil {
		return err
	}
	for _, p := range ports {
		if cur.has(p) {
			k.ours.set(p)
		}
	}
	return nil
}

// Remove drops the reservations this reserver made for ports and returns
// the ports it removed.
func (k *KernelReserver) Remove(ports []portolan.Port) ([]portolan.Port, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var removed []portolan.Port
	for _, p := range ports {
		if k.ours.has(p) {
			removed = append(removed, p)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	cur, err := k.read()
	if err != nil {
		return nil, err
	}
	for _, p := range removed {
		cur.clear(p)
	}
	if err := k.write(cur); err != nil {
		return nil, err
	}
	for _, p := range removed {
		k.ours.clear(p)
	}
	return removed, nil
}

// Ours returns the ports this reserver added and has not removed.
func (k *KernelReserver) Ours() []portolan.Port {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ours.ports()
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

func (k *KernelReserver) read() (*bitset, error) {
	b, err := os.ReadFile(k.path)
	if err != nil {
		return nil, err
	}
	rs, err := parseReserved(string(b))
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
	s := formatReserved(set.ports())
	// The kernel parses one write; an empty line clears the list.
	if err := os.WriteFile(k.path, []byte(s+"\n"), 0); err != nil {
		return portolan.Errorf(portolan.EFORBIDDEN, "cannot write %s: %s", k.path, pathErr(err))
	}
	return nil
}

// ports lists the set's ports, ascending.
func (b *bitset) ports() []portolan.Port {
	var ports []portolan.Port
	for i, w := range b {
		for w != 0 {
			ports = append(ports, portolan.Port(i*64+bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return ports
}
