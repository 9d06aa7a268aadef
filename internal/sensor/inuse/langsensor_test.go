package inuse

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor"
	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// TestRealSensorLanguageReads: with LanguageReads, the real sensor sees a
// container of the sample image read one Python module and one Ruby gem
// file twice (the image has no shell or interpreter, so the host's cat is
// bind-mounted in to do the reading): each file is recorded once, and the
// join marks exactly the packages owning them in use, plus libc6, which
// cat maps.
func TestRealSensorLanguageReads(t *testing.T) {
	sensortest.DockerSocket(t)
	if os.Geteuid() != 0 {
		t.Skip("the sensor needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := sensortest.Docker(ctx, "load", "-i", "../../../testdata/images/sample-debian.tar"); err != nil {
		t.Fatal(err)
	}
	stop := watch(ctx, t, sensor.Config{ContainersOnly: true, LanguageReads: true})

	// cat reading an open stdin keeps the container up while the reads
	// run as docker exec.
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: "sample-debian:1",
		Args: []string{"-i", "-v", "/bin/cat:/pave-cat:ro", "--entrypoint", "/pave-cat"}, Cmd: []string{"-"}})
	cg := sensortest.CgroupID(t, id)
	for range 2 {
		if _, err := sensortest.Exec(ctx, id, "/pave-cat", "/usr/lib/python3/dist-packages/six.py",
			"/usr/share/rubygems-integration/all/gems/rainbow-3.1.1/lib/rainbow.rb"); err != nil {
			t.Fatal(err)
		}
	}
	events := stop()

	r := NewRecorder()
	c := &event.Container{ID: id, Image: "sample-debian:1", ImageID: "sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9"}
	for _, ev := range events {
		if ev.CgroupID == cg {
			ev.Container = c
			r.Observe(ev)
		}
	}
	evd := r.Evidence()
	if len(evd.Images) != 1 {
		t.Fatalf("evidence for %d images, want 1", len(evd.Images))
	}
	im := evd.Images[0]
	reads := 0
	for _, f := range im.Files {
		t.Logf("evidence: %s exec=%d mmap=%d open=%d", f.Path, f.Exec, f.Mmap, f.Open)
		if strings.HasSuffix(f.Path, ".py") || strings.HasSuffix(f.Path, ".rb") {
			reads++
			if f.Open != 1 {
				t.Errorf("%s: %d open records for two reads, want 1 (deduplicated per cgroup)", f.Path, f.Open)
			}
		}
	}
	if reads != 2 {
		t.Errorf("%d language files in the evidence, want 2", reads)
	}
	res := sampleInventory(t)
	j := Join(res.Scan.Packages, &im, JoinOptions{Resolve: res.View.Resolve})
	got := inUse(res.Scan.Packages, j)
	slices.Sort(got)
	// Each file is claimed by its Debian package and by the language
	// package the scan found in the same place.
	want := []string{"deb:libc6", "deb:python3-six", "deb:ruby-rainbow", "gem:rainbow", "pypi:six"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages in use (-want +got):\n%s", diff)
	}
}
