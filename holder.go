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
	// Orphan: the process was reparented to pid 1, its parent gone.
	Orphan bool `json:"orphan,omitempty"`
	// Project is the checkout the process runs in (its working directory).
	Project *ProjectDir `json:"project,omitempty"`
	// Age is how long the process has run.
	Age time.Duration `json:"age_ns,omitempty"`
}

// Container is a container named by a process's cgroup.
type Container struct {
	Engine string `json:"engine"` // docker, podman, containerd, cri-o
	ID     string `json:"id"`     // the full id, 64 hex digits
}

// Pod is a Kubernetes pod named by a process's cgroup.
type Pod struct {
	UID string `json:"uid"`
	QoS string `json:"qos"` // guaranteed, burstable or besteffort
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
