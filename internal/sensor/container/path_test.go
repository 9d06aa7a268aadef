package container

import (
	"errors"
	"os"
	"strings"
	"testing"
)

const (
	id1 = "4e36598c3622500723bb3fbd2a34e657491c67def5cdd10529b54852efd53ea1"
	id2 = "94ed2ce0a7bf0402a74f1278cb3e87630b41a90cd57f02e371b8a6e48beb3cd1"
	uid = "2b4a5c1e-8f0d-4c3b-9a7e-1d2c3b4a5f6e"
)

// The shapes are the ones runtimes create: docker on this machine
// (cgroupfs driver, first row), and the documented layouts of the systemd
// driver, containerd's CRI plugin, cri-o, podman and the kubelet.
func TestParseCgroupPath(t *testing.T) {
	uidU := strings.ReplaceAll(uid, "-", "_")
	tests := []struct {
		path string
		want Identity
	}{
		// docker, cgroupfs driver (this engine: /proc/<pid>/cgroup "0::" line)
		{"/docker/" + id1, Identity{ID: id1, Runtime: RuntimeDocker}},
		// a container's own sub-cgroup, and docker in docker: the outer id
		{"/docker/" + id1 + "/init.scope", Identity{ID: id1, Runtime: RuntimeDocker}},
		{"/docker/" + id1 + "/docker/" + id2, Identity{ID: id1, Runtime: RuntimeDocker}},
		// docker, systemd driver; rootless docker under the user's manager
		{"/system.slice/docker-" + id1 + ".scope", Identity{ID: id1, Runtime: RuntimeDocker}},
		{"/user.slice/user-1000.slice/user@1000.service/docker-" + id1 + ".scope", Identity{ID: id1, Runtime: RuntimeDocker}},
		// containerd's CRI plugin with the systemd driver, in a pod slice
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice/cri-containerd-" + id1 + ".scope",
			Identity{ID: id1, Runtime: RuntimeContainerd, PodUID: uid}},
		// guaranteed QoS pods sit right under kubepods.slice
		{"/kubepods.slice/kubepods-pod" + uidU + ".slice/cri-containerd-" + id1 + ".scope",
			Identity{ID: id1, Runtime: RuntimeContainerd, PodUID: uid}},
		// cri-o, systemd and cgroupfs drivers; conmon is on the host side
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-" + id1 + ".scope",
			Identity{ID: id1, Runtime: RuntimeCRIO, PodUID: uid}},
		{"/kubepods/besteffort/pod" + uid + "/crio-" + id1, Identity{ID: id1, Runtime: RuntimeCRIO, PodUID: uid}},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-conmon-" + id1 + ".scope",
			Identity{PodUID: uid}},
		// kubelet with the cgroupfs driver: a bare id, runtime unknown
		{"/kubepods/burstable/pod" + uid + "/" + id1, Identity{ID: id1, PodUID: uid}},
		{"/kubepods/pod" + uid + "/" + id1, Identity{ID: id1, PodUID: uid}},
		// the pod's own cgroup
		{"/kubepods/burstable/pod" + uid, Identity{PodUID: uid}},
		// podman: systemd (root and rootless) and cgroupfs
		{"/machine.slice/libpod-" + id1 + ".scope", Identity{ID: id1, Runtime: RuntimePodman}},
		{"/machine.slice/libpod-" + id1 + ".scope/container", Identity{ID: id1, Runtime: RuntimePodman}},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id1 + ".scope", Identity{ID: id1, Runtime: RuntimePodman}},
		{"/machine.slice/libpod-conmon-" + id1 + ".scope", Identity{}},
		{"/libpod_parent/libpod-" + id1, Identity{ID: id1, Runtime: RuntimePodman}},
		// host cgroups
		{"/", Identity{}},
		{"", Identity{}},
		{"/system.slice/docker.service", Identity{}},
		{"/system.slice/containerd.service", Identity{}},
		{"/user.slice/user-0.slice/session-3.scope", Identity{}},
		{"/process_api/f4643168e8d24f254eb9d29676d6a9b8", Identity{}},
		{"/init.scope", Identity{}},
		// near misses: short, upper-case, non-hex ids; a 64-hex dir not under docker
		{"/docker/" + id1[:63], Identity{}},
		{"/docker/" + strings.ToUpper(id1), Identity{}},
		{"/system.slice/docker-" + id1[:63] + "g.scope", Identity{}},
		{"/" + id1, Identity{}},
		{"/kubepods/burstable/podnot-a-uid/" + id1, Identity{}},
	}
	for _, tt := range tests {
		got := ParseCgroupPath(tt.path)
		if got != tt.want {
			t.Errorf("ParseCgroupPath(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
		if got.Host() != (tt.want.ID == "" && tt.want.PodUID == "") {
			t.Errorf("ParseCgroupPath(%q).Host() = %v", tt.path, got.Host())
		}
	}
}

func TestFindCgroup2Mount(t *testing.T) {
	tests := []struct {
		file, mount, root string
		err               error
	}{
		// this machine: cgroup v1 controllers plus the unified hierarchy
		{"testdata/mountinfo-hybrid", "/sys/fs/cgroup/unified", "/", nil},
		// inside a container on this machine: v1 only, no cgroup2
		{"testdata/mountinfo-in-container", "", "", ErrNoCgroup2},
	}
	for _, tt := range tests {
		f, err := os.Open(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		mount, root, err := FindCgroup2Mount(f)
		f.Close()
		if mount != tt.mount || root != tt.root || !errors.Is(err, tt.err) {
			t.Errorf("%s: FindCgroup2Mount = %q, %q, %v; want %q, %q, %v", tt.file, mount, root, err, tt.mount, tt.root, tt.err)
		}
	}
	// A v2-only host mounts it at /sys/fs/cgroup; in a cgroup namespace or
	// a bind mount the root is a subtree; spaces come octal-escaped.
	lines := "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	if m, r, err := FindCgroup2Mount(strings.NewReader(lines)); m != "/sys/fs/cgroup" || r != "/" || err != nil {
		t.Errorf("v2 host: %q %q %v", m, r, err)
	}
	lines = "90 80 0:26 /kubepods.slice /host\\040cgroup rw shared:4 - cgroup2 cgroup2 rw\n"
	if m, r, err := FindCgroup2Mount(strings.NewReader(lines)); m != "/host cgroup" || r != "/kubepods.slice" || err != nil {
		t.Errorf("subtree: %q %q %v", m, r, err)
	}
}

func TestJoinCgroup(t *testing.T) {
	for _, tt := range []struct{ root, rel, want string }{
		{"/", "", "/"},
		{"/", "/docker/x", "/docker/x"},
		{"/kubepods.slice", "", "/kubepods.slice"},
		{"/kubepods.slice", "/a", "/kubepods.slice/a"},
	} {
		if got := joinCgroup(tt.root, tt.rel); got != tt.want {
			t.Errorf("joinCgroup(%q, %q) = %q, want %q", tt.root, tt.rel, got, tt.want)
		}
	}
}

func FuzzParseCgroupPath(f *testing.F) {
	f.Add("/docker/" + id1)
	f.Add("/system.slice/docker-" + id1 + ".scope")
	f.Add("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + strings.ReplaceAll(uid, "-", "_") + ".slice/cri-containerd-" + id1 + ".scope")
	f.Add("/kubepods/besteffort/pod" + uid + "/crio-" + id1)
	f.Add("/libpod_parent/libpod-" + id1)
	f.Add("//docker//")
	f.Add("/")
	f.Fuzz(func(t *testing.T, path string) {
		id := ParseCgroupPath(path)
		if id.ID != "" && (!isID(id.ID) || !strings.Contains(path, id.ID)) {
			t.Fatalf("ParseCgroupPath(%q).ID = %q: not a 64-hex id from the path", path, id.ID)
		}
		if id.PodUID != "" && !isUID(id.PodUID) {
			t.Fatalf("ParseCgroupPath(%q).PodUID = %q: not a UID", path, id.PodUID)
		}
		if id.Runtime != "" && id.ID == "" {
			t.Fatalf("ParseCgroupPath(%q): runtime %q without an id", path, id.Runtime)
		}
	})
}

func FuzzFindCgroup2Mount(f *testing.F) {
	for _, file := range []string{"testdata/mountinfo-hybrid", "testdata/mountinfo-in-container"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("1 2 0:1 / /a\\ - cgroup2 x rw\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mount, _, err := FindCgroup2Mount(strings.NewReader(string(data)))
		if err == nil && mount == "" {
			t.Fatalf("no error and no mount point")
		}
		if err != nil && mount != "" {
			t.Fatalf("error %v with mount point %q", err, mount)
		}
	})
}
