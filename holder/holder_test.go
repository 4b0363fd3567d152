//go:build linux

package holder

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portolan-dev/portolan"
)

const id = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f"

// Real-world /proc/PID/cgroup texts, cgroup v1 and the unified v2 form.
func TestFromCgroup(t *testing.T) {
	for _, c := range []struct {
		name, text, engine, pod, qos, unit string
	}{
		{"docker v2 systemd driver", "0::/system.slice/docker-" + id + ".scope\n", "docker", "", "", ""},
		{"docker v1 cgroupfs driver", "12:memory:/docker/" + id + "\n1:name=systemd:/docker/" + id + "\n", "docker", "", "", ""},
		{"podman", "0::/machine.slice/libpod-" + id + ".scope/container\n", "podman", "", "", ""},
		{"kubernetes containerd, systemd driver", "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f6a_7b8c_9d0e_1f2a3b4c5d6e.slice/cri-containerd-" + id + ".scope\n",
			"containerd", "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e", "burstable", ""},
		{"kubernetes cgroupfs driver", "4:memory:/kubepods/besteffort/pod1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e/" + id + "\n",
			"containerd", "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e", "besteffort", ""},
		{"cri-o", "0::/kubepods.slice/kubepods-pod1b2c3d4e_5f6a_7b8c_9d0e_1f2a3b4c5d6e.slice/crio-" + id + ".scope\n",
			"cri-o", "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e", "guaranteed", ""},
		{"a system service", "0::/system.slice/nginx.service\n", "", "", "", "nginx.service"},
		{"a user service", "9:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/vite.service\n4:memory:/user.slice\n", "", "", "", "vite.service"},
		{"a login session", "0::/user.slice/user-1000.slice/session-3.scope\n", "", "", "", ""},
		{"nothing", "0::/\n", "", "", "", ""},
		{"a short id is not a container", "0::/system.slice/docker-3f2a9c.scope\n", "", "", "", ""},
	} {
		cont, pod, unit := FromCgroup(c.text)
		var engine, uid, qos string
		if cont != nil {
			engine = cont.Engine
			if cont.ID != id {
				t.Errorf("%s: id %q", c.name, cont.ID)
			}
		}
		if pod != nil {
			uid, qos = pod.UID, pod.QoS
		}
		if engine != c.engine || uid != c.pod || qos != c.qos || unit != c.unit {
			t.Errorf("%s: container %q pod %q %q unit %q; want %q %q %q %q", c.name, engine, uid, qos, unit, c.engine, c.pod, c.qos, c.unit)
		}
	}
}

func FuzzFromCgroup(f *testing.F) {
	f.Add("0::/system.slice/docker-" + id + ".scope\n")
	f.Add("4:memory:/kubepods/besteffort/pod1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e/" + id + "\n")
	f.Add("9:name=systemd:/user.slice/user@1000.service/x.service")
	f.Fuzz(func(t *testing.T, text string) {
		c, pod, unit := FromCgroup(text)
		if c != nil && (!portolan.IsContainerID(c.ID) || !strings.Contains(text, c.ID)) {
			t.Fatalf("container id %q not from %q", c.ID, text)
		}
		if pod != nil && len(pod.UID) != 36 {
			t.Fatalf("pod uid %q", pod.UID)
		}
		if unit != "" && !strings.Contains(text, unit) {
			t.Fatalf("unit %q not in %q", unit, text)
		}
	})
}

// start runs a child and returns it, killed at cleanup.
func start(t *testing.T, dir string, name string, args ...string) *exec.Cmd {
	t.Helper()
	c := exec.Command(name, args...)
	c.Dir = dir
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its children too die with it
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-c.Process.Pid, syscall.SIGKILL); c.Wait() })
	return c
}

// A real child moved into real cgroups the test creates: a service in the
// unified v2 hierarchy (its unit file says Restart=always, so systemd is
// its supervisor) and a pod's containerd scope in v1's name=systemd one.
func TestOfRealCgroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	for _, c := range []struct {
		root, rel string
		check     func(portolan.Holder) bool
	}{
		{"/sys/fs/cgroup/unified", "portolan-test.slice/shop-api.service", func(h portolan.Holder) bool {
			return h.Unit == "shop-api.service" && h.Supervisor != nil && h.Supervisor.Kind == "systemd" && h.Supervisor.Stop == "systemctl stop shop-api.service"
		}},
		{"/sys/fs/cgroup/systemd", "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f6a_7b8c_9d0e_1f2a3b4c5d6e.slice/cri-containerd-" + id + ".scope", func(h portolan.Holder) bool {
			return h.Container != nil && h.Container.Engine == "containerd" && h.Pod != nil && h.Pod.QoS == "burstable" &&
				h.Pod.Namespace == "default" && h.Pod.Name == "api-7c9f8d" && strings.HasPrefix(Label(h), "pod default/api-7c9f8d")
		}},
	} {
		if _, err := os.Stat(filepath.Join(c.root, "cgroup.procs")); err != nil {
			t.Fatalf("no cgroup hierarchy at %s: %v", c.root, err)
		}
		dir := filepath.Join(c.root, c.rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		child := start(t, "/", "sleep", "60")
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(child.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// Move the child back and remove the directories, innermost first.
			os.WriteFile(filepath.Join(c.root, "cgroup.procs"), []byte(strconv.Itoa(child.Process.Pid)), 0)
			for d := dir; d != c.root; d = filepath.Dir(d) {
				os.Remove(d)
			}
		})
		units := t.TempDir()
		os.WriteFile(filepath.Join(units, "shop-api.service"), []byte("[Service]\nExecStart=/usr/bin/sleep 60\nRestart=always\n"), 0o644)
		// The kubelet's log directory names the pod: NAMESPACE_NAME_UID.
		pods := t.TempDir()
		os.Mkdir(filepath.Join(pods, "kube-system_coredns-5d78c9_0a0b0c0d-0000-0000-0000-000000000000"), 0o755)
		os.Mkdir(filepath.Join(pods, "default_api-7c9f8d_1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e"), 0o755)
		h, err := Of(child.Process.Pid, Options{UnitDirs: []string{units}, PodLogDir: pods})
		if err != nil {
			t.Fatal(err)
		}
		if !c.check(h) {
			t.Errorf("%s: %+v (container %+v, pod %+v, supervisor %+v)", c.rel, h, h.Container, h.Pod, h.Supervisor)
		}
	}
}

// A process whose group leader died is an orphan; its working directory
// names its checkout; a process under a supervisor names it.
func TestOfOrphanProjectSupervisor(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo, _ := filepath.EvalSymlinks(t.TempDir())
	for _, args := range [][]string{{"init", "-q", "-b", "feat-x"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"}} {
		c := exec.Command("git", args...)
		c.Dir = repo
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	// setsid makes sh a group leader; its background sleep outlives it
	// (exec: the background job is the sleep itself, so $! is its pid).
	out, err := exec.Command("setsid", "sh", "-c", "cd "+repo+" && exec sleep 60 >/dev/null 2>&1 & echo $!").Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	})
	var h portolan.Holder
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if h, err = Of(pid, Options{}); err == nil && h.Orphan {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !h.Orphan || h.Project == nil || h.Project.Worktree != repo || h.Project.Branch != "feat-x" {
		t.Errorf("the orphaned sleep: %+v (project %+v); want an orphan in %s [feat-x]", h, h.Project, repo)
	}
	if label := Label(h); !strings.Contains(label, repo+" [feat-x]") || !strings.Contains(label, "orphan") {
		t.Errorf("Label = %q", label)
	}

	// A child of a process calling itself supervisord.
	sup := start(t, "/", "bash", "-c", `exec -a supervisord bash -c "sleep 60; true"`)
	var sleeper int
	for time.Now().Before(deadline.Add(3 * time.Second)) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(sup.Process.Pid) + "/task/" + strconv.Itoa(sup.Process.Pid) + "/children")
		if f := strings.Fields(string(b)); len(f) > 0 {
			sleeper, _ = strconv.Atoi(f[0])
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	h, err = Of(sleeper, Options{})
	if err != nil || h.Supervisor == nil || h.Supervisor.Kind != "supervisord" || h.Supervisor.PID != sup.Process.Pid || h.Orphan {
		t.Errorf("under supervisord: %+v %v (supervisor %+v)", h, err, h.Supervisor)
	}
	if mine, err := Of(os.Getpid(), Options{}); err != nil || mine.Orphan {
		t.Errorf("this test process: %+v, %v", mine, err)
	}
}

// The OWNER label reads as the example: a checkout under home as
// ~/..., its branch, and an orphan's age.
func TestLabelTildeAndAge(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	h := portolan.Holder{Project: &portolan.ProjectDir{Top: home + "/src/shop", Worktree: home + "/src/shop", Branch: "feat-x"}, Orphan: true, Age: 3*time.Hour + 12*time.Minute}
	if got := Label(h); got != "~/src/shop [feat-x] orphan 3h" {
		t.Errorf("Label = %q", got)
	}
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 12 * time.Minute: "12m", 47 * time.Hour: "47h", 72 * time.Hour: "3d"} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}
