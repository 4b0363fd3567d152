//go:build linux

package dockertest

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
)

// PodmanAvailable says why rootful Podman cannot run here, or "".
func PodmanAvailable() string {
	if why := Available(); why != "" {
		return why
	}
	if _, err := exec.LookPath("podman"); err != nil {
		return "needs podman (apt-get install podman)"
	}
	return ""
}

// podman returns the API service's command line and points the podman
// CLI at the same storage. Everything Podman writes is under Dir: storage
// (--root), run root, tmp dir (events, exit files), the CNI network
// configuration and the IPAM state, which CNI keeps in
// /var/lib/cni/networks unless the network says otherwise. Limits that
// the runtime cannot raise here (RLIMIT_NOFILE and NPROC above the hard
// limit) are set to what the test needs in a containers.conf of its own.
func (e *Engine) podman(o Options) ([]string, error) {
	e.Engine = "podman"
	bridge := o.Bridge
	if bridge == "" {
		bridge = "10.215.0.1/24"
	}
	gw, err := netip.ParsePrefix(bridge)
	if err != nil {
		return nil, fmt.Errorf("dockertest: bridge %q: %v", bridge, err)
	}
	d := e.Dir
	// What Podman and its plugins write outside Dir whatever the flags:
	// CNI's result cache, runc's state root, the image blob-info cache.
	// What did not exist before goes at Close.
	e.notBefore("/var/lib/cni", "/var/lib/cni/results", "/run/runc", "/var/lib/containers", "/var/lib/containers/cache",
		"/var/lib/containers/cache/blob-info-cache-v1.boltdb")
	for _, sub := range []string{"cni", "tmp", "ipam"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o700); err != nil {
			return nil, err
		}
	}
	conflist := fmt.Sprintf(`{"cniVersion":"0.4.0","name":"ptlnet","plugins":[
{"type":"bridge","bridge":"cni-ptl0","isGateway":true,"ipMasq":true,"hairpinMode":true,
 "ipam":{"type":"host-local","routes":[{"dst":"0.0.0.0/0"}],"ranges":[[{"subnet":%q,"gateway":%q}]],"dataDir":%q}},
{"type":"portmap","capabilities":{"portMappings":true}},{"type":"firewall"},{"type":"tuning"}]}`,
		gw.Masked().String(), gw.Addr().String(), filepath.Join(d, "ipam"))
	if err := os.WriteFile(filepath.Join(d, "cni", "ptlnet.conflist"), []byte(conflist), 0o600); err != nil {
		return nil, err
	}
	conf := `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[network]
network_backend = "cni"
default_network = "ptlnet"
network_config_dir = "` + filepath.Join(d, "cni") + `"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "` + filepath.Join(d, "tmp") + `"
`
	if err := os.WriteFile(filepath.Join(d, "containers.conf"), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	global := []string{"podman", "--root", filepath.Join(d, "root"), "--runroot", filepath.Join(d, "run"),
		"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--tmpdir", filepath.Join(d, "tmp"),
		"--network-config-dir", filepath.Join(d, "cni")}
	e.env = []string{"CONTAINERS_CONF=" + filepath.Join(d, "containers.conf")}
	e.cli = append([]string{"nsenter", "--net=" + e.nsPath(), "--"}, global...)
	return append(global, "system", "service", "--time", "0", "unix://"+e.Socket), nil
}
