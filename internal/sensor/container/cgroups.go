package container

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
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

// fileIDKernfs is the file handle type of kernfs (cgroupfs) nodes: the
// handle is the node's 64-bit id, which is the cgroup id.
const fileIDKernfs = 0xfe

// errHandleGone says the cgroup id names no live cgroup.
var errHandleGone = errors.New("container: no cgroup with that id")

// cgroupPathByID finds a live cgroup's path from its id alone: it opens
// the directory with open_by_handle_at(2) (a kernfs file handle holding the
// id; needs CAP_DAC_READ_SEARCH) and reads the path back from /proc. It
// costs a few system calls where a walk of a large hierarchy costs tens of
// milliseconds. mountFD is an open descriptor of the hierarchy's mount
// point.
func cgroupPathByID(mountFD int, mount, root string, id uint64) (string, error) {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], id)
	fd, err := unix.OpenByHandleAt(mountFD, unix.NewFileHandle(fileIDKernfs, b[:]), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		// ENOTDIR: the id is a file's (cgroup.procs...), not a cgroup's.
		if errors.Is(err, unix.ESTALE) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return "", errHandleGone
		}
		return "", fmt.Errorf("container: open_by_handle_at cgroup %d: %w", id, err)
	}
	defer unix.Close(fd)
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", fmt.Errorf("container: cgroup %d: %w", id, err)
	}
	if strings.HasSuffix(p, " (deleted)") {
		return "", errHandleGone
	}
	rel, ok := strings.CutPrefix(p, strings.TrimSuffix(mount, "/"))
	if !ok || rel != "" && rel[0] != '/' {
		return "", fmt.Errorf("container: cgroup %d is at %s, outside %s", id, p, mount)
	}
	return joinCgroup(root, rel), nil
}
