package artifact_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/extract"
)

// TestRunnerSmoke opens the repository's sample image (a real
// docker-archive of Debian bookworm packages) and walks every layer
// through the extract runner, which merges them.
func TestRunnerSmoke(t *testing.T) {
	sample := filepath.Join("..", "..", "testdata", "images", "sample-debian.tar")
	if _, err := os.Stat(sample); err != nil {
		t.Skipf("sample image: %v", err)
	}
	src, err := artifact.Open(context.Background(), sample, artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Ref().Kind != artifact.DockerArchive || src.Ref().ImageID == "" {
		t.Errorf("ref %+v", src.Ref())
	}
	ls, err := src.Layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := extract.NewRunner(extract.Config{Retain: func(p string) bool { return p == "etc/os-release" || p == "usr/lib/os-release" }})
	res, err := r.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Layers) != len(ls) {
		t.Errorf("runner saw %d layers, source has %d", len(res.Layers), len(ls))
	}
	for i, l := range res.Layers {
		if l.DiffID == "" || l.Digest == "" || l.Index != i {
			t.Errorf("layer %d: %+v", i, l)
		}
	}
	osr, err := fs.ReadFile(res.View, "etc/os-release")
	if err != nil || len(osr) == 0 {
		t.Errorf("etc/os-release in the merged view: %v", err)
	}
	if _, err := fs.Stat(res.View, "var/lib/dpkg/status"); err != nil {
		t.Errorf("dpkg status: %v", err)
	}
	if res.Entries < 100 {
		t.Errorf("%d entries", res.Entries)
	}
}
