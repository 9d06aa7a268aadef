package inuse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/scan"
	"github.com/pavesec/pave/internal/sensor"
	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// TestRealSensorScenario is the end-to-end proof: the real eBPF sensor
// watches a container of the runtime test image (Debian bookworm built by
// debootstrap in scripts/setup.sh) while a scenario runs known programs
// in it; the recorded evidence, joined with pave's scan of the same image,
// marks exactly the OS packages whose programs and libraries ran.
func TestRealSensorScenario(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	if os.Getenv("CI") == "" && os.Geteuid() != 0 {
		t.Skip("the sensor needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop := watch(ctx, t, sensor.Config{ContainersOnly: true})

	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img, Cmd: []string{"sleep", "300"}})
	cg := sensortest.CgroupID(t, id)
	imageID, err := sensortest.Docker(ctx, "inspect", "--format", "{{.Image}}", id)
	if err != nil {
		t.Fatal(err)
	}
	// The scenario: gzip, and netcat (which links libbsd and libmd).
	for _, cmd := range [][]string{{"gzip", "--version"}, {"nc.openbsd", "-h"}} {
		// nc -h exits 1 after printing its usage: only that it ran matters.
		sensortest.Docker(ctx, append([]string{"exec", id}, cmd...)...)
	}
	events := stop()

	r := NewRecorder()
	c := &event.Container{ID: id, Image: img, ImageID: imageID}
	var mine []*event.Event
	for _, ev := range events {
		if ev.CgroupID == cg {
			ev.Container = c // what enrichment would fill in
			mine = append(mine, ev)
			r.Observe(ev)
		}
	}
	n := len(mine)
	// PAVE_INUSE_RECORD=file keeps the container's events as JSON lines
	// (how testdata/scenario.jsonl was made).
	if name := os.Getenv("PAVE_INUSE_RECORD"); name != "" {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, ev := range mine {
			if err := enc.Encode(ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	evd := r.Evidence()
	if len(evd.Images) != 1 {
		t.Fatalf("%d container events, evidence for %d images, want 1", n, len(evd.Images))
	}
	im := evd.Images[0]
	for _, f := range im.Files {
		t.Logf("evidence: %s exec=%d mmap=%d open=%d", f.Path, f.Exec, f.Mmap, f.Open)
	}

	res, err := scan.Run(ctx, "docker:"+img, scan.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !im.Matches(res.Scan.Target.Digest, res.Scan.Target.ImageID) {
		t.Fatalf("evidence image %s does not match the scanned image %s / %s", im.ID, res.Scan.Target.Digest, res.Scan.Target.ImageID)
	}
	j := Join(res.Scan.Packages, &im, JoinOptions{Resolve: res.View.Resolve})
	var got []string
	for i := range res.Scan.Packages {
		p := &res.Scan.Packages[i]
		if j.InUse(p) {
			got = append(got, p.Name)
			t.Logf("in use: %s via %v", p.Name, j.Files(p))
		}
	}
	slices.Sort(got)
	// sleep (coreutils), gzip, nc.openbsd and the libraries they map.
	want := []string{"coreutils", "gzip", "libbsd0", "libc6", "libmd0", "netcat-openbsd"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages in use (-want +got):\n%s", diff)
	}
}

// watch opens the real sensor with cfg (skipping when the kernel cannot
// run it, unless CI is set) and collects every event it reads. stop waits
// for the last records to reach the ring buffer, ends the reading and
// returns what was collected; the sensor is closed when the test ends.
func watch(ctx context.Context, t *testing.T, cfg sensor.Config) (stop func() []*event.Event) {
	t.Helper()
	s, err := sensor.Open(ctx, cfg)
	if errors.Is(err, sensor.ErrNotSupported) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var events []*event.Event
	done := make(chan struct{})
	readCtx, stopReading := context.WithCancel(ctx)
	go func() {
		defer close(done)
		for {
			ev, err := s.Next(readCtx)
			if err != nil {
				return
			}
			events = append(events, ev)
		}
	}()
	return func() []*event.Event {
		time.Sleep(time.Second) // let the last records reach the ring buffer
		stopReading()
		<-done
		return events
	}
}
