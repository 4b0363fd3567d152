// Package checkout works out which checkout a directory belongs to, the
// project and worktree of a named port's key, by reading git's own files
// (.git directories, a linked worktree's .git file and its commondir): no
// git process runs, so `portolan port web` stays a few milliseconds.
package checkout

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/portolan-dev/portolan"
)

// Checkout is where a directory lives.
type Checkout struct {
	// Project is the repository: the main worktree's top level, the same
	// for every linked worktree; the directory itself outside git.
	Project string
	// Worktree is this worktree's top level (Project for the main one).
	Worktree string
	// Branch is the checked-out branch ("" when detached or outside git).
	Branch string
	Git    bool // inside a git checkout
}

// Of returns the checkout of dir (absolute or relative to the working
// directory), walking up to the first directory with a .git entry.
func Of(dir string) (Checkout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Checkout{}, err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Lstat(filepath.Join(d, ".git"))
		switch {
		case err == nil && fi.IsDir():
			return Checkout{Project: d, Worktree: d, Branch: branch(filepath.Join(d, ".git")), Git: true}, nil
		case err == nil && fi.Mode().IsRegular():
			return linked(d)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return Checkout{}, err
		}
		if filepath.Dir(d) == d {
			return Checkout{Project: abs, Worktree: abs}, nil
		}
	}
}

// linked reads a linked worktree's .git file ("gitdir: MAIN/.git/worktrees/NAME")
// and that directory's commondir, which leads to the main repository.
func linked(top string) (Checkout, error) {
	b, err := os.ReadFile(filepath.Join(top, ".git"))
	if err != nil {
		return Checkout{}, err
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir:")
	if !ok {
		return Checkout{Project: top, Worktree: top}, nil
	}
	gitdir = strings.TrimSpace(gitdir)
	if !filepath.IsAbs(gitdir) {
		gitdir = filepath.Join(top, gitdir)
	}
	c := Checkout{Project: top, Worktree: top, Branch: branch(gitdir), Git: true}
	common := gitdir
	if cd, err := os.ReadFile(filepath.Join(gitdir, "commondir")); err == nil {
		common = strings.TrimSpace(string(cd))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitdir, common)
		}
	}
	common = filepath.Clean(common)
	if filepath.Base(common) == ".git" {
		// A non-bare main repository: its worktree is the .git's parent.
		c.Project = filepath.Dir(common)
	} else {
		c.Project = common // a bare repository names the project itself
	}
	return c, nil
}

// branch reads HEAD in gitdir: "ref: refs/heads/feat-x" is feat-x.
func branch(gitdir string) string {
	b, err := os.ReadFile(filepath.Join(gitdir, "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref: refs/heads/")
	if !ok {
		return ""
	}
	return ref
}

// Contains reports whether path lies in the worktree (a process's working
// directory inside the checkout means the process is the checkout's own).
func (c Checkout) Contains(path string) bool {
	rel, err := filepath.Rel(c.Worktree, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Key returns the named-port key of name in the checkout of dir ("" = the
// working directory), with the checkout.
func Key(dir, name string) (portolan.NameKey, Checkout, error) {
	if dir == "" {
		dir = "."
	}
	co, err := Of(dir)
	if err != nil {
		return portolan.NameKey{}, co, portolan.Errorf(portolan.EINVALID, "checkout of %s: %v", dir, err)
	}
	return portolan.NameKey{Project: co.Project, Worktree: co.Worktree, Name: name}, co, nil
}
