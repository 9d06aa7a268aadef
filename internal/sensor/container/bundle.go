package container

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pavesec/pave/internal/sensor/event"
)

// DefaultBundleGlobs are where runtimes keep a running container's OCI
// bundle config.json; {id} stands for the container id.
func DefaultBundleGlobs() []string {
	return []string{
		// containerd's shim v2 tasks, one directory per namespace (k8s.io for
		// the CRI plugin, moby for Docker on the system containerd, default
		// for ctr and nerdctl).
		"/run/containerd/io.containerd.runtime.v2.task/*/{id}/config.json",
		// Docker's own containerd (dockerd started without a system one).
		"/run/docker/containerd/daemon/io.containerd.runtime.v2.task/*/{id}/config.json",
		// cri-o and podman (containers/storage, root).
		"/run/containers/storage/overlay-containers/{id}/userdata/config.json",
	}
}

// OCI annotations the CRI runtimes write into a container's bundle.
const (
	// containerd's CRI plugin.
	annCRISandboxName      = "io.kubernetes.cri.sandbox-name"
	annCRISandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
	annCRIImageName        = "io.kubernetes.cri.image-name"
	annCRIContainerName    = "io.kubernetes.cri.container-name"
	// cri-o.
	annCRIOImageName     = "io.kubernetes.cri-o.ImageName"
	annCRIOImageRef      = "io.kubernetes.cri-o.ImageRef"
	annCRIOContainerName = "io.kubernetes.cri-o.ContainerName"
	annCRIOLabels        = "io.kubernetes.cri-o.Labels"
)

// maxBundle bounds a config.json (tens of KB in practice).
const maxBundle = 1 << 20

// readBundle finds the container's config.json under globs and decodes it.
// ErrNotFound when no runtime holds a bundle for the id.
func readBundle(globs []string, id string) (*event.Container, error) {
	if !isID(id) {
		return nil, ErrNotFound
	}
	for _, g := range globs {
		matches, err := filepath.Glob(strings.ReplaceAll(g, "{id}", id))
		if err != nil {
			return nil, fmt.Errorf("container: bundle glob %s: %w", g, err)
		}
		for _, m := range matches {
			f, err := os.Open(m)
			if err != nil {
				continue // the container went away between glob and open
			}
			data, err := io.ReadAll(io.LimitReader(f, maxBundle+1))
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("container: read %s: %w", m, err)
			}
			if len(data) > maxBundle {
				return nil, fmt.Errorf("container: %s is over %d bytes", m, maxBundle)
			}
			c, err := decodeBundle(data)
			if err != nil {
				return nil, fmt.Errorf("container: %s: %w", m, err)
			}
			c.ID = id
			if c.Runtime == "" {
				c.Runtime = bundleRuntime(m)
			}
			return c, nil
		}
	}
	return nil, ErrNotFound
}

// bundleRuntime guesses the runtime from where its bundle lives.
func bundleRuntime(path string) string {
	switch {
	case strings.Contains(path, "/moby/"):
		return RuntimeDocker
	case strings.Contains(path, "containerd"):
		return RuntimeContainerd
	case strings.Contains(path, "overlay-containers"):
		return RuntimePodman
	}
	return ""
}

// decodeBundle reads the annotations of an OCI runtime config.json: the
// CRI runtimes record the pod and image there. A bundle without
// annotations (Docker's, ctr's) yields an empty Container.
func decodeBundle(data []byte) (*event.Container, error) {
	var spec struct {
		OCIVersion  string            `json:"ociVersion"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("decode OCI config: %w", err)
	}
	if spec.OCIVersion == "" {
		return nil, fmt.Errorf("decode OCI config: no ociVersion")
	}
	a := spec.Annotations
	c := &event.Container{}
	switch {
	case a[annCRISandboxName] != "" || a[annCRIImageName] != "":
		c.Runtime = RuntimeContainerd
		c.PodName, c.PodNamespace = a[annCRISandboxName], a[annCRISandboxNamespace]
		c.Image, c.Name = a[annCRIImageName], a[annCRIContainerName]
	case a[annCRIOImageName] != "" || a[annCRIOContainerName] != "":
		c.Runtime = RuntimeCRIO
		c.PodName, c.PodNamespace = a[labelPodName], a[labelPodNamespace]
		c.Image, c.Name = a[annCRIOImageName], a[annCRIOContainerName]
		if ref := a[annCRIOImageRef]; strings.HasPrefix(ref, "sha256:") {
			c.ImageID = ref
		}
		if l := a[annCRIOLabels]; l != "" {
			var labels map[string]string
			if err := json.Unmarshal([]byte(l), &labels); err == nil && len(labels) > 0 {
				c.Labels = labels
			}
		}
	}
	return c, nil
}
