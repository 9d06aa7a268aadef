package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxCgroupDirs bounds one walk of the hierarchy.
const maxCgroupDirs = 200_000

// errWalkBudget stops a walk that met more directories than maxCgroupDirs.
var errWalkBudget = errors.New("container: cgroup walk: over the directory budget")

// cgroupDir is one directory of the unified hierarchy.
type cgroupDir struct {
	inode uint64
	path  string // relative to the hierarchy's root, starting with "/"
}

// walkCgroups lists every directory under mount with its inode. root is
// the mount's root within the hierarchy (from mountinfo), prefixed to the
// paths so they read as /proc/<pid>/cgroup shows them.
func walkCgroups(ctx context.Context, mount, root string) ([]cgroupDir, error) {
	var dirs []cgroupDir
	err := filepath.WalkDir(mount, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// A cgroup removed mid-walk; keep going.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if p == mount {
				return err
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(dirs) >= maxCgroupDirs {
			return errWalkBudget
		}
		ino, err := inode(p)
		if err != nil {
			return nil
		}
		rel := strings.TrimPrefix(p, mount)
		dirs = append(dirs, cgroupDir{inode: ino, path: joinCgroup(root, rel)})
		return nil
	})
	if err != nil && !errors.Is(err, errWalkBudget) {
		return dirs, fmt.Errorf("container: walk %s: %w", mount, err)
	}
	return dirs, err
}

// joinCgroup joins the mount root and a path below the mount point.
func joinCgroup(root, rel string) string {
	p := strings.TrimSuffix(root, "/") + "/" + strings.TrimPrefix(rel, "/")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// inode is the inode number of path: for a cgroup v2 directory, the id
// bpf_get_current_cgroup_id returns.
func inode(path string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return st.Ino, nil
}

// candidateNames are the directory names a container's cgroup takes
// under its parent, by runtime and cgroup driver.
func candidateNames(id string) []string {
	return []string{
		id,                                // cgroupfs: /docker/<id>, /kubepods/.../pod<uid>/<id>
		"docker-" + id + ".scope",         // docker, systemd driver
		"cri-containerd-" + id + ".scope", // containerd CRI, systemd driver
		"crio-" + id + ".scope",           // cri-o, systemd driver
		"crio-" + id,                      // cri-o, cgroupfs driver
		"libpod-" + id + ".scope",         // podman, systemd
		"libpod-" + id,                    // podman, cgroupfs
	}
}
