package container

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

// criConfig is an OCI config.json with the annotations containerd's CRI
// plugin writes (names from containerd's pkg/cri/annotations).
const criConfig = `{"ociVersion":"1.1.0","process":{"args":["nginx"]},"annotations":{
"io.kubernetes.cri.container-type":"container",
"io.kubernetes.cri.container-name":"web",
"io.kubernetes.cri.sandbox-id":"` + id2 + `",
"io.kubernetes.cri.sandbox-name":"web-7d9f",
"io.kubernetes.cri.sandbox-namespace":"shop",
"io.kubernetes.cri.sandbox-uid":"` + uid + `",
"io.kubernetes.cri.image-name":"docker.io/library/nginx:1.27"}}`

// crioConfig carries cri-o's annotations (names from cri-o's
// pkg/annotations; Labels is a JSON object in a string).
const crioConfig = `{"ociVersion":"1.0.2-dev","annotations":{
"io.kubernetes.pod.name":"web-7d9f",
"io.kubernetes.pod.namespace":"shop",
"io.kubernetes.cri-o.ContainerName":"k8s_web_web-7d9f_shop_` + uid + `_0",
"io.kubernetes.cri-o.ImageName":"docker.io/library/nginx:1.27",
"io.kubernetes.cri-o.ImageRef":"sha256:` + tarSum + `",
"io.kubernetes.cri-o.Labels":"{\"app\":\"web\",\"io.kubernetes.pod.name\":\"web-7d9f\"}"}}`

func TestDecodeBundle(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want *event.Container
	}{
		// Docker's bundle on this machine: no annotations.
		{"moby", readTestdata(t, "bundle-moby-config.json"), &event.Container{}},
		{"cri", []byte(criConfig), &event.Container{
			Runtime: RuntimeContainerd, Name: "web", Image: "docker.io/library/nginx:1.27",
			PodName: "web-7d9f", PodNamespace: "shop",
		}},
		{"crio", []byte(crioConfig), &event.Container{
			Runtime: RuntimeCRIO, Name: "k8s_web_web-7d9f_shop_" + uid + "_0", Image: "docker.io/library/nginx:1.27",
			ImageID: "sha256:" + tarSum, PodName: "web-7d9f", PodNamespace: "shop",
			Labels: map[string]string{"app": "web", "io.kubernetes.pod.name": "web-7d9f"},
		}},
	}
	for _, tt := range tests {
		got, err := decodeBundle(tt.data)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	for _, in := range []string{"", "{}", `{"ociVersion":1}`, `{"ociVersion":"1","annotations":[]}`} {
		if _, err := decodeBundle([]byte(in)); err == nil {
			t.Errorf("decodeBundle(%q): no error", in)
		}
	}
}

// TestReadBundle lays the real bundle out as the runtimes do and finds it
// by id through the globs.
func TestReadBundle(t *testing.T) {
	dir := t.TempDir()
	lay := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lay("docker/containerd/daemon/io.containerd.runtime.v2.task/moby/"+id1+"/config.json", readTestdata(t, "bundle-moby-config.json"))
	lay("containerd/io.containerd.runtime.v2.task/k8s.io/"+id2+"/config.json", []byte(criConfig))
	globs := []string{
		dir + "/containerd/io.containerd.runtime.v2.task/*/{id}/config.json",
		dir + "/docker/containerd/daemon/io.containerd.runtime.v2.task/*/{id}/config.json",
	}
	c, err := readBundle(globs, id1)
	if err != nil || c.ID != id1 || c.Runtime != RuntimeDocker {
		t.Errorf("moby bundle: %+v, %v", c, err)
	}
	c, err = readBundle(globs, id2)
	if err != nil || c.ID != id2 || c.Runtime != RuntimeContainerd || c.PodName != "web-7d9f" {
		t.Errorf("k8s.io bundle: %+v, %v", c, err)
	}
	for _, id := range []string{privID, "../../etc", "*"} {
		if c, err := readBundle(globs, id); err != ErrNotFound {
			t.Errorf("readBundle(%q) = %+v, %v; want ErrNotFound", id, c, err)
		}
	}
	lay("containerd/io.containerd.runtime.v2.task/k8s.io/"+privID+"/config.json", []byte("{"))
	if _, err := readBundle(globs, privID); err == nil || err == ErrNotFound {
		t.Errorf("broken bundle: %v", err)
	}
}

func FuzzDecodeBundle(f *testing.F) {
	f.Add(readTestdata(f, "bundle-moby-config.json"))
	f.Add([]byte(criConfig))
	f.Add([]byte(crioConfig))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeBundle(data)
		if err == nil && c == nil {
			t.Fatal("nil container without error")
		}
	})
}
