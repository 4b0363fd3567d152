package checkout

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// A repository with a linked worktree (git worktree add): both share the
// project, each is its own worktree, each on its own branch; a directory
// outside git is its own project.
func TestOfGitWorktrees(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root, _ := filepath.EvalSymlinks(t.TempDir())
	repo := filepath.Join(root, "shop")
	os.MkdirAll(filepath.Join(repo, "web", "src"), 0o755)
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "commit", "-q", "--allow-empty", "-m", "x")
	feat := filepath.Join(root, "shop-feat")
	git(t, repo, "worktree", "add", "-q", "-b", "feat-x", feat)

	c, err := Of(filepath.Join(repo, "web", "src"))
	if err != nil || c != (Checkout{Project: repo, Worktree: repo, Branch: "main", Git: true}) {
		t.Errorf("Of(main/web/src) = %+v, %v", c, err)
	}
	c, err = Of(feat)
	if err != nil || c != (Checkout{Project: repo, Worktree: feat, Branch: "feat-x", Git: true}) {
		t.Errorf("Of(feat) = %+v, %v; want project %s, worktree %s, branch feat-x", c, err, repo, feat)
	}
	if !c.Contains(filepath.Join(feat, "a", "b")) || c.Contains(repo) || c.Contains(feat+"-other") {
		t.Error("Contains is wrong about the worktree's own paths")
	}
	plain := filepath.Join(root, "plain")
	os.Mkdir(plain, 0o755)
	if c, err := Of(plain); err != nil || c.Git || c.Project != plain || c.Worktree != plain {
		t.Errorf("Of(plain) = %+v, %v", c, err)
	}
}
