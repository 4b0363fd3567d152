package registry

import (
	"os"
	"path/filepath"

	"github.com/portolan-dev/portolan"
	"github.com/portolan-dev/portolan/registry/iana"
)

// SnapshotFile is the name of the user's snapshot in DataDir.
const SnapshotFile = "iana.snap"

// DataDir is where `registry update` keeps the user's snapshot:
// $XDG_DATA_HOME/portolan, or ~/.local/share/portolan.
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "portolan"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", portolan.Errorf(portolan.EINVALID, "no data directory: set XDG_DATA_HOME or HOME")
	}
	return filepath.Join(home, ".local", "share", "portolan"), nil
}

// UserSnapshotPath is the full path of the user's snapshot.
func UserSnapshotPath() (string, error) {
	d, err := DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, SnapshotFile), nil
}

func loadUser() (*Registry, error) {
	p, err := UserSnapshotPath()
	if err != nil {
		return nil, err
	}
	return OpenFile(p)
}

// OpenFile reads and fully verifies a snapshot file.
func OpenFile(path string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Open(string(b), true)
	if err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "%s: %s", path, portolan.ErrorMessage(err))
	}
	r.path = path
	return r, nil
}

// Install encodes d and stores it as the user's snapshot, atomically: the
// new file is written beside the old one, synced, verified by reading it
// back, and only then renamed over it, so a failure leaves the old data in
// use. It returns the path written.
func Install(d *iana.Data) (string, error) {
	b, err := iana.Encode(d)
	if err != nil {
		return "", err
	}
	if _, err := Open(string(b), true); err != nil {
		return "", portolan.Errorf(portolan.EINTERNAL, "encoded snapshot does not verify: %s", portolan.ErrorMessage(err))
	}
	dir, err := DataDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", portolan.Errorf(portolan.EINVALID, "cannot create %s: %v", dir, err)
	}
	tmp, err := os.CreateTemp(dir, SnapshotFile+".*.tmp")
	if err != nil {
		return "", portolan.Errorf(portolan.EINVALID, "cannot write in %s: %v", dir, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return "", portolan.Errorf(portolan.EINVALID, "cannot write %s: %v", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", portolan.Errorf(portolan.EINVALID, "cannot sync %s: %v", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return "", portolan.Errorf(portolan.EINVALID, "cannot write %s: %v", tmp.Name(), err)
	}
	if _, err := OpenFile(tmp.Name()); err != nil {
		return "", err
	}
	final := filepath.Join(dir, SnapshotFile)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", portolan.Errorf(portolan.EINVALID, "cannot install %s: %v", final, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return final, nil
}
