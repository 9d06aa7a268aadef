package inuse

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func ctr(id, image, imageID string) *event.Container {
	return &event.Container{ID: id, Name: "n-" + id, Image: image, ImageID: imageID}
}

func TestRecorder(t *testing.T) {
	web := ctr("c1", "web:1", idA)
	web2 := ctr("c2", "web:latest", idA)
	db := &event.Container{ID: "c3", Image: "db:1", ImageDigest: "db@" + idB}
	evs := []event.Event{
		{Time: t0, Type: event.Exec, Container: web, Proc: event.Process{Exe: "/usr/bin/python3.11"}},
		{Time: t0.Add(time.Second), Type: event.Mmap, Container: web, File: &event.File{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6"}},
		{Time: t0.Add(2 * time.Second), Type: event.Mmap, Container: web2, File: &event.File{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6"}},
		{Time: t0.Add(3 * time.Second), Type: event.Open, Container: web, File: &event.File{Path: "/usr/lib/python3/dist-packages/idna/core.py"}},
		// A relative exe is taken from the working directory.
		{Time: t0.Add(4 * time.Second), Type: event.Exec, Container: web, Proc: event.Process{Exe: "./run.sh", Cwd: "/srv/app"}},
		// Not recorded: a write, a failed exec, busybox's re-exec, a memfd,
		// an event type that uses no file, the host, no known image.
		{Time: t0.Add(5 * time.Second), Type: event.Open, Container: web, File: &event.File{Path: "/tmp/x", Write: true}},
		{Time: t0.Add(6 * time.Second), Type: event.Exec, Container: web, Proc: event.Process{Exe: "/usr/bin/nope"}, Ret: -2},
		{Time: t0.Add(7 * time.Second), Type: event.Exec, Container: web, Proc: event.Process{Exe: "/proc/self/exe"}},
		{Time: t0.Add(8 * time.Second), Type: event.Mmap, Container: web, File: &event.File{Path: "/memfd:x (deleted)"}},
		{Time: t0.Add(9 * time.Second), Type: event.Connect, Container: web, Net: &event.Net{DstAddr: "1.1.1.1", DstPort: 443}},
		{Time: t0.Add(10 * time.Second), Type: event.Exec, Host: true, Proc: event.Process{Exe: "/usr/bin/ls"}},
		{Time: t0.Add(11 * time.Second), Type: event.Exec, ContainerID: "unresolved", Proc: event.Process{Exe: "/usr/bin/ls"}},
		{Time: t0.Add(12 * time.Second), Type: event.Exec, Container: ctr("c4", "x", "not-a-digest"), Proc: event.Process{Exe: "/usr/bin/ls"}},
		// Another image, known by its repository digest only.
		{Time: t0.Add(13 * time.Second), Type: event.Exec, Container: db, Proc: event.Process{Exe: "/usr/sbin/postgres"}},
		{Time: t0.Add(14 * time.Second), Type: event.Exec, Container: db, Proc: event.Process{Exe: "/usr/sbin/postgres"}},
	}
	r := NewRecorder()
	for i := range evs {
		if fs := r.Analyze(&evs[i]); fs != nil {
			t.Errorf("Analyze returned findings: %v", fs)
		}
	}
	want := &Evidence{Schema: Schema, Images: []Image{
		{Refs: []string{"db:1"}, Digest: idB, Window: Window{t0.Add(13 * time.Second), t0.Add(14 * time.Second)}, Events: 2,
			Containers: []Container{{ID: "c3"}},
			Files:      []File{{Path: "/usr/sbin/postgres", Exec: 2}}},
		{Refs: []string{"web:1", "web:latest"}, ID: idA, Window: Window{t0, t0.Add(4 * time.Second)}, Events: 5,
			Containers: []Container{{ID: "c1", Name: "n-c1"}, {ID: "c2", Name: "n-c2"}},
			Files: []File{
				{Path: "/srv/app/run.sh", Exec: 1},
				{Path: "/usr/bin/python3.11", Exec: 1},
				{Path: "/usr/lib/python3/dist-packages/idna/core.py", Open: 1},
				{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Mmap: 2},
			}},
	}}
	// The window spans the events that were recorded.
	got := r.Evidence()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if n := r.Ignored(); n != 2 {
		t.Errorf("Ignored = %d, want 2 (the unresolved container and the one without an image digest)", n)
	}
	name := filepath.Join(t.TempDir(), "e.json")
	if err := r.WriteFile(name); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(name)
	if err != nil {
		t.Fatalf("the recorder's file does not read back: %v", err)
	}
	if diff := cmp.Diff(got, back); diff != "" {
		t.Errorf("read back (-wrote +read):\n%s", diff)
	}
}

// TestRecorderLimit: past the per-image limit new files are counted as
// dropped, known files still count.
func TestRecorderLimit(t *testing.T) {
	r := NewRecorder()
	r.limit = 2
	for _, p := range []string{"/a", "/b", "/c", "/a", "/d"} {
		r.Observe(&event.Event{Type: event.Exec, Container: ctr("c", "i", idA), Proc: event.Process{Exe: p}})
	}
	im := r.Evidence().Images[0]
	if im.Dropped != 2 || len(im.Files) != 2 || im.Files[0].Exec != 2 {
		t.Errorf("dropped %d, files %+v; want 2 dropped, /a twice and /b", im.Dropped, im.Files)
	}
}

func BenchmarkObserve(b *testing.B) {
	c := ctr("c1", "web:1", idA)
	paths := []string{"/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/python3/dist-packages/idna/core.py"}
	evs := make([]event.Event, len(paths))
	for i, p := range paths {
		evs[i] = event.Event{Time: t0, Type: event.Mmap, Container: c, File: &event.File{Path: p}}
	}
	r := NewRecorder()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Observe(&evs[i%len(evs)])
	}
}

// TestReplayRecording feeds the recorder the events the real sensor saw in
// a container of the runtime image (testdata/scenario.jsonl, recorded by
// TestRealSensorScenario) and checks the evidence it writes.
func TestReplayRecording(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "scenario.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewRecorder()
	dec := json.NewDecoder(f)
	for {
		var ev event.Event
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		r.Observe(&ev)
	}
	b, err := r.Evidence().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("testdata", "scenario.evidence.json")
	if *update {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s (-want +got), -update to accept:\n%s", p, diff)
	}
}
