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

// MaxRecordDrop is the share of records a release may have fewer than the
// one in use before Install refuses it without force. IANA rarely removes
// records (the release of 2026-08-17 has 48 more than that of 2025-08-26),
// so a larger drop is a file cut short or edited, not a release.
const MaxRecordDrop = 0.02

// CheckRelease says whether d may replace inUse, the release in use: it
// must be whole (iana.CheckComplete), newer (the newest valid release
// always wins, so an older or equal one would never be used and is not
// stored), and, unless force, hold no more than MaxRecordDrop fewer
// records. Errors are EINVALID, one line giving both dates or both counts.
func CheckRelease(d *iana.Data, inUse *Registry, force bool) error {
	if err := iana.CheckComplete(d); err != nil {
		return err
	}
	where := "embedded"
	if inUse.Path() != "" {
		where = "installed"
	}
	switch {
	case d.Updated == inUse.Updated():
		return portolan.Errorf(portolan.EINVALID, "the release of %s is the one in use (%s): nothing to install", d.Updated, where)
	case d.Updated < inUse.Updated():
		return portolan.Errorf(portolan.EINVALID, "the release of %s is older than the one in use of %s (%s): the newest release always wins", d.Updated, inUse.Updated(), where)
	}
	if n, old := len(d.Records), inUse.Len(); !force && float64(n) < float64(old)*(1-MaxRecordDrop) {
		return portolan.Errorf(portolan.EINVALID, "%s records where the release in use has %s (%.0f%% fewer, more than %.0f%%): the file looks cut short; --force installs it",
			iana.Thousands(n), iana.Thousands(old), 100*float64(old-n)/float64(old), 100*MaxRecordDrop)
	}
	return nil
}

// Install checks d against the release in use (CheckRelease), encodes it
// and stores it as the user's snapshot, atomically: the new file is
// written beside the old one, synced, verified by reading it back, and
// only then renamed over it, so a failure leaves the old data in use. It
// returns the path written.
func Install(d *iana.Data, force bool) (string, error) {
	if err := CheckRelease(d, Newest(), force); err != nil {
		return "", err
	}
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
	// Another update may have installed a release meanwhile: look again,
	// so the newer of two concurrent updates is the one that stays.
	if u, err := OpenFile(final); err == nil && u.Updated() >= d.Updated {
		return "", portolan.Errorf(portolan.EINVALID, "the release of %s is not newer than the one installed meanwhile, of %s", d.Updated, u.Updated())
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", portolan.Errorf(portolan.EINVALID, "cannot install %s: %v", final, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return final, nil
}
