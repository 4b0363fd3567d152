package portolan

import "time"

// Holder is what portolan worked out about the process that holds a socket:
// the thing people run, not the pid. It is an inference, kept beside the
// OS's facts (Process) and never written into them.
type Holder struct {
	// Container is set when the process runs in a container (its cgroup
	// names one).
	Container *Container `json:"container,omitempty"`
	// Pod is set for a Kubernetes pod's process.
	Pod *Pod `json:"pod,omitempty"`
	// Unit is the systemd unit (service or scope) the process belongs to.
	Unit string `json:"unit,omitempty"`
	// Supervisor is the nearest ancestor that restarts what it runs (pm2,
	// nodemon, supervisord, runit, s6); killing the holder alone brings it
	// back.
	Supervisor *Supervisor `json:"supervisor,omitempty"`
	// Published is set when the process is a container engine's port
	// forwarder (docker-proxy): the socket is the container's published
	// port, not the forwarder's own.
	Published *Published `json:"published,omitempty"`
	// Orphan: the process was reparented to pid 1, its parent gone.
	Orphan bool `json:"orphan,omitempty"`
	// Project is the checkout the process runs in (its working directory).
	Project *ProjectDir `json:"project,omitempty"`
	// Age is how long the process has run.
	Age time.Duration `json:"age_ns,omitempty"`
}

// Container is a container named by a process's cgroup. Engine and ID come
// from /proc; the rest from the engine's API when its socket is readable.
type Container struct {
	Engine string `json:"engine"` // docker, podman, containerd, cri-o
	ID     string `json:"id"`     // the full id, 64 hex digits
	Name   string `json:"name,omitempty"`
	Image  string `json:"image,omitempty"`
	// Compose is the docker compose project and service that made it.
	Compose *Compose `json:"compose,omitempty"`
	// Ports are the ports it publishes on the host.
	Ports []PublishedPort `json:"ports,omitempty"`
	// Restart is its restart policy (always, unless-stopped, on-failure);
	// with one, the engine starts the process again when it exits.
	Restart string `json:"restart,omitempty"`
	// NoEngine says why the fields above are missing (the engine's socket
	// is absent, refused or did not answer); empty when they were read.
	NoEngine string `json:"no_engine,omitempty"`
}

// Compose names a container's docker compose project and service (the
// com.docker.compose.project and .service labels).
type Compose struct {
	Project string `json:"project"`
	Service string `json:"service"`
}

// PublishedPort is one port a container publishes: connections to
// HostIP:HostPort on the host reach the container's ContainerPort.
type PublishedPort struct {
	Proto         Proto  `json:"protocol"`
	HostIP        string `json:"host_ip,omitempty"`
	HostPort      Port   `json:"host_port"`
	ContainerPort Port   `json:"container_port"`
}

// Published is a container's published port as its forwarder holds it:
// the forwarder (docker-proxy), the container's own address and port it
// forwards to, and the container when the engine names it.
type Published struct {
	Via       string     `json:"via"` // docker-proxy
	Proto     Proto      `json:"protocol"`
	Host      string     `json:"host"`   // 127.0.0.1:18080
	Target    string     `json:"target"` // the container's address and port, 10.213.0.2:8080
	Container *Container `json:"container,omitempty"`
}

// Label is how people call the container: its name, else its short id.
func (c *Container) Label() string {
	if c.Name != "" {
		return c.Name
	}
	if len(c.ID) > 12 {
		return c.ID[:12]
	}
	return c.ID
}

// Pod is a Kubernetes pod named by a process's cgroup.
type Pod struct {
	UID string `json:"uid"`
	QoS string `json:"qos"` // guaranteed, burstable or besteffort
	// Namespace and Name come from the kubelet's log directory
	// (/var/log/pods/NAMESPACE_NAME_UID) when this host has one.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

// Supervisor is a process that restarts the holder when it exits.
type Supervisor struct {
	PID  int    `json:"pid"`
	Kind string `json:"kind"` // pm2, nodemon, supervisord, runit, s6, systemd
	// Stop is the command that stops the supervised program for good.
	Stop string `json:"stop,omitempty"`
}

// ProjectDir is the checkout a process runs in.
type ProjectDir struct {
	Top      string `json:"top"`      // the repository (main worktree's top level)
	Worktree string `json:"worktree"` // the worktree's top level
	Branch   string `json:"branch,omitempty"`
}

// IsContainerID reports whether s is a full container id as Docker,
// Podman and containerd write it: 64 lowercase hex digits.
func IsContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
