package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Runtime names, as event.Container.Runtime carries them.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
)

// Identity is what a cgroup path alone says about the processes in it.
type Identity struct {
	// ID is the container id (64 hex digits), empty when the path names no
	// container.
	ID string
	// Runtime is the runtime the path's shape names, empty when the shape
	// is shared (a kubepods cgroupfs path holds a bare id whatever the
	// runtime).
	Runtime string
	// PodUID is the Kubernetes pod UID from a kubepods path, with dashes.
	PodUID string
}

// Host reports whether the path belongs to no container and no pod.
func (id Identity) Host() bool { return id.ID == "" && id.PodUID == "" }

// ParseCgroupPath reads a container's identity from a cgroup path such as
// /proc/<pid>/cgroup's "0::" line shows it. The shapes recognised:
//
//	/docker/<id>                                        docker, cgroupfs driver
//	/system.slice/docker-<id>.scope                     docker, systemd driver (also rootless)
//	/system.slice/cri-containerd-<id>.scope             containerd CRI, systemd
//	/system.slice/crio-<id>.scope                       cri-o, systemd
//	/machine.slice/libpod-<id>.scope, /libpod_parent/libpod-<id>   podman
//	/kubepods/<qos>/pod<uid>/<id>                       kubelet, cgroupfs driver
//	/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/<runtime>-<id>.scope
//
// The outermost container id wins (a container's own sub-cgroups, or an
// engine nested in it, do not change whose it is). conmon's scopes
// (crio-conmon-, libpod-conmon-) are monitors on the host, not containers.
func ParseCgroupPath(path string) Identity {
	var id Identity
	for path != "" {
		var elem string
		elem, path, _ = strings.Cut(strings.TrimLeft(path, "/"), "/")
		if elem == "" {
			continue
		}
		if id.PodUID == "" {
			if uid, ok := podUID(elem); ok {
				id.PodUID = uid
				continue
			}
		}
		if id.ID != "" {
			continue
		}
		switch {
		case elem == "docker" || elem == "libpod_parent":
			// The next element is the bare id (cgroupfs driver).
			next, _, _ := strings.Cut(strings.TrimLeft(path, "/"), "/")
			if isID(next) {
				id.ID, id.Runtime = next, RuntimeDocker
				if elem == "libpod_parent" {
					id.Runtime = RuntimePodman
				}
			}
			if rest, ok := strings.CutPrefix(next, "libpod-"); ok && isID(rest) {
				id.ID, id.Runtime = rest, RuntimePodman
			}
		case strings.HasSuffix(elem, ".scope"):
			id.ID, id.Runtime = scopeID(strings.TrimSuffix(elem, ".scope"))
		case id.PodUID != "" && isID(elem):
			// kubepods, cgroupfs driver: the runtime is not in the path.
			id.ID = elem
		case id.PodUID != "":
			// cri-o under the cgroupfs driver: crio-<id> without .scope.
			id.ID, id.Runtime = scopeID(elem)
		}
	}
	return id
}

// scopePrefixes map a systemd scope's prefix to its runtime.
var scopePrefixes = []struct{ prefix, runtime string }{
	{"docker-", RuntimeDocker},
	{"cri-containerd-", RuntimeContainerd},
	{"crio-", RuntimeCRIO},
	{"libpod-", RuntimePodman},
}

func scopeID(name string) (id, runtime string) {
	for _, p := range scopePrefixes {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok && isID(rest) {
			return rest, p.runtime
		}
	}
	return "", ""
}

// podUID finds the pod UID in pod<uid> (cgroupfs) or
// kubepods[-<qos>]-pod<uid with _>.slice (systemd).
func podUID(elem string) (string, bool) {
	if rest, ok := strings.CutSuffix(elem, ".slice"); ok {
		if !strings.HasPrefix(rest, "kubepods") {
			return "", false
		}
		i := strings.LastIndex(rest, "-pod")
		if i < 0 {
			return "", false
		}
		uid := strings.ReplaceAll(rest[i+len("-pod"):], "_", "-")
		return uid, isUID(uid)
	}
	if rest, ok := strings.CutPrefix(elem, "pod"); ok && isUID(rest) {
		return rest, true
	}
	return "", false
}

// isID: 64 lowercase hex digits, the id docker, containerd's CRI, cri-o and
// podman give containers.
func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isUID: a UUID in its 36-character text form (Kubernetes pod UIDs).
func isUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ErrNoCgroup2 is returned when no cgroup v2 hierarchy is mounted.
var ErrNoCgroup2 = errors.New("container: no cgroup2 mount")

// FindCgroup2Mount reads /proc/self/mountinfo (r) and returns the mount
// point of the unified hierarchy: /sys/fs/cgroup on a cgroup v2 host,
// /sys/fs/cgroup/unified on a hybrid one. It also returns the mount's root
// within the hierarchy ("/" unless this process is in a cgroup namespace
// or a bind mount shows a subtree).
func FindCgroup2Mount(r io.Reader) (mountPoint, root string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source super
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 1 || qf[0] != "cgroup2" {
			continue
		}
		return unescapeMount(pf[4]), unescapeMount(pf[3]), nil
	}
	if err := sc.Err(); err != nil {
		return "", "", fmt.Errorf("container: read mountinfo: %w", err)
	}
	return "", "", ErrNoCgroup2
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }
