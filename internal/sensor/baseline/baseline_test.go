package baseline

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	idA     = "sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9"
	idB     = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func web(id string) *event.Container {
	return &event.Container{ID: id, Name: "web-" + id, Image: "web:1", ImageID: idA, ImageDigest: "registry.example/web@" + digestA}
}

func exec(c *event.Container, at time.Duration, exe string) event.Event {
	return event.Event{Time: t0.Add(at), Type: event.Exec, Container: c, Proc: event.Process{PID: 7, Comm: "x", Exe: exe}}
}

func write(c *event.Container, at time.Duration, p string) event.Event {
	return event.Event{Time: t0.Add(at), Type: event.Open, Container: c, File: &event.File{Path: p, Write: true}}
}

func connect(c *event.Container, at time.Duration, proto, addr string, port uint16) event.Event {
	return event.Event{Time: t0.Add(at), Type: event.Connect, Container: c, Net: &event.Net{Family: "ipv4", Protocol: proto, DstAddr: addr, DstPort: port}}
}

func bind(c *event.Container, at time.Duration, port uint16) event.Event {
	return event.Event{Time: t0.Add(at), Type: event.Bind, Container: c, Net: &event.Net{Family: "ipv4", Protocol: "tcp", SrcAddr: "0.0.0.0", SrcPort: port}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got), rerun with -update to accept:\n%s", p, diff)
	}
}

// summary is one line per finding: rule, container, evidence.
func summary(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %s", f.Rule.ID, f.Location.Container, f.Evidence))
	}
	return out
}

// TestLearnThenDetect learns a window of one image's events, checks the
// file written, then feeds drift.
func TestLearnThenDetect(t *testing.T) {
	dir := t.TempDir()
	a, err := New(Options{Dir: dir, Learn: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := web("c1"), web("c2")
	learn := []event.Event{
		exec(c1, 0, "/usr/bin/python3.11"),
		exec(c1, time.Second, "/bin/sh"),
		// busybox re-executing itself: the parent's program.
		{Time: t0.Add(2 * time.Second), Type: event.Exec, Container: c1, Proc: event.Process{Exe: "/proc/self/exe", Ancestors: []event.Ancestor{{PID: 1, Exe: "/bin/busybox"}}}},
		connect(c1, 3*time.Second, "tcp", "10.0.0.5", 5432),
		bind(c1, 4*time.Second, 8080),
		bind(c1, 4*time.Second, 0), // ephemeral: no port to learn
		write(c2, 5*time.Second, "/var/log/app.log"),
	}
	// Five resolvers on port 53: the address varies, the port stays.
	for i := range 5 {
		learn = append(learn, connect(c2, 6*time.Second, "udp", fmt.Sprintf("192.0.2.%d", i+1), 53))
	}
	// Many files in one temporary directory, and deeper under a cache.
	for i := range 10 {
		learn = append(learn, write(c1, 7*time.Second, fmt.Sprintf("/tmp/upload-%d", i)))
		learn = append(learn, write(c1, 7*time.Second, fmt.Sprintf("/var/cache/app/%d/entry", i)))
	}
	for i := range learn {
		if fs := a.Analyze(&learn[i]); fs != nil {
			t.Fatalf("finding while learning: %v", summary(fs))
		}
	}
	if bs := a.Baselines(); len(bs) != 0 {
		t.Fatalf("baseline finished inside the window: %+v", bs)
	}
	drift := []event.Event{
		// After the window: this finishes learning, then is checked.
		exec(c1, 2*time.Minute, "/usr/bin/python3.11"),
		exec(c1, 2*time.Minute, "/usr/bin/curl"),
		exec(c1, 2*time.Minute, "/usr/bin/curl"), // same container: once
		exec(c2, 2*time.Minute, "/usr/bin/curl"), // another container: again
		connect(c1, 2*time.Minute, "udp", "198.51.100.7", 53),
		connect(c1, 2*time.Minute, "tcp", "10.0.0.5", 5432),
		connect(c1, 2*time.Minute, "tcp", "10.0.0.6", 5432),
		connect(c1, 2*time.Minute, "tcp", "203.0.113.9", 4444),
		bind(c1, 2*time.Minute, 8080),
		bind(c1, 2*time.Minute, 9001),
		write(c1, 2*time.Minute, "/tmp/upload-99"),
		write(c1, 2*time.Minute, "/var/cache/app/77/new/entry"),
		write(c1, 2*time.Minute, "/etc/passwd"),
		write(c1, 2*time.Minute, "/var/log/app.log"),
		// Not analysed: the host, an unresolved container, another image
		// is learned separately.
		{Time: t0.Add(2 * time.Minute), Type: event.Exec, Host: true, Proc: event.Process{Exe: "/usr/bin/nc"}},
		{Time: t0.Add(2 * time.Minute), Type: event.Exec, ContainerID: "x", Proc: event.Process{Exe: "/usr/bin/nc"}},
		exec(&event.Container{ID: "d1", ImageID: idB}, 2*time.Minute, "/usr/bin/nc"),
	}
	var got []finding.Finding
	for i := range drift {
		got = append(got, a.Analyze(&drift[i])...)
	}
	want := []string{
		"PAVE-RT-DRIFT-EXEC c1 exec /usr/bin/curl",
		"PAVE-RT-DRIFT-EXEC c2 exec /usr/bin/curl",
		"PAVE-RT-DRIFT-NET c1 connect 10.0.0.6:5432/tcp",
		"PAVE-RT-DRIFT-NET c1 connect 203.0.113.9:4444/tcp",
		"PAVE-RT-DRIFT-NET c1 listen 9001/tcp",
		"PAVE-RT-DRIFT-WRITE c1 write /etc/passwd",
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	f := got[0]
	if f.Rule.Kind != finding.Runtime || f.Severity != finding.High || f.Target.Digest != digestA || f.Target.Name != "web:1" ||
		f.Fingerprint == "" || f.Location.Process != "/usr/bin/curl (pid 7)" {
		t.Errorf("finding fields: %+v", f)
	}
	if got[2].Severity != finding.Medium {
		t.Errorf("net drift severity %s, want medium", got[2].Severity)
	}
	data, err := os.ReadFile(filepath.Join(dir, "sha256-"+strings.Repeat("a", 64)+".json"))
	if err != nil {
		t.Fatalf("learned baseline not written: %v", err)
	}
	golden(t, "learned.json", data)
	if err := a.Flush(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The other image, learning since +2m, finishes on Flush after its window.
	if _, err := os.Stat(filepath.Join(dir, "sha256-"+strings.Repeat("b", 64)+".json")); err != nil {
		t.Errorf("Flush did not write the quiet image's baseline: %v", err)
	}

	// A new Analyzer loads the file and checks from the first event.
	a2, err := New(Options{Dir: dir, Mode: Detect})
	if err != nil {
		t.Fatal(err)
	}
	ev := exec(c1, 3*time.Hour, "/usr/bin/curl")
	if diff := cmp.Diff([]string{"PAVE-RT-DRIFT-EXEC c1 exec /usr/bin/curl"}, summary(a2.Analyze(&ev))); diff != "" {
		t.Errorf("after reload (-want +got):\n%s", diff)
	}
	ev = exec(c1, 3*time.Hour, "/usr/bin/python3.11")
	if fs := a2.Analyze(&ev); fs != nil {
		t.Errorf("learned program reported after reload: %v", summary(fs))
	}
}

// TestHandEdited: a baseline a person wrote, with globs, CIDRs and
// wildcards, in detect mode; an image without a file is not analysed.
func TestHandEdited(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "hand-edited.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web.json"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{Dir: dir, Mode: Detect})
	if err != nil {
		t.Fatal(err)
	}
	c := web("c1")
	tests := []struct {
		ev    event.Event
		drift bool
	}{
		{exec(c, 0, "/usr/bin/python3.11"), false},
		{exec(c, 0, "/usr/local/bin/app-worker"), false}, // /usr/local/bin/*
		{exec(c, 0, "/usr/local/bin/sub/tool"), true},    // * is one level
		{exec(c, 0, "/opt/app/bin/deep/x"), false},       // /opt/app/**
		{connect(c, 0, "tcp", "10.1.2.3", 5432), false},  // 10.0.0.0/8
		{connect(c, 0, "tcp", "11.1.2.3", 5432), true},
		{connect(c, 0, "udp", "8.8.8.8", 53), false},  // *:53/udp
		{connect(c, 0, "tcp", "8.8.8.8", 53), true},   // udp only
		{connect(c, 0, "tcp", "127.0.0.1", 9), false}, // 127.0.0.1:*/*
		{event.Event{Type: event.Connect, Container: c, Net: &event.Net{Family: "ipv6", Protocol: "tcp", DstAddr: "2001:db8::1", DstPort: 443}}, false},
		{event.Event{Type: event.Connect, Container: c, Net: &event.Net{Family: "unix", DstAddr: "/run/postgresql/.s.PGSQL.5432"}}, false},
		{event.Event{Type: event.Connect, Container: c, Net: &event.Net{Family: "unix", DstAddr: "/run/docker.sock"}}, true},
		{bind(c, 0, 8080), false},
		{bind(c, 0, 22), true},
		{write(c, 0, "/tmp/x"), false},
		{write(c, 0, "/var/lib/app/a/b/c"), false},
		{write(c, 0, "/etc/shadow"), true},
		{exec(&event.Container{ID: "o", ImageID: idB}, 0, "/bin/sh"), false}, // no baseline, detect mode
	}
	for _, tt := range tests {
		fs := a.Analyze(&tt.ev)
		if (len(fs) > 0) != tt.drift {
			what := tt.ev.Proc.Exe
			if tt.ev.Net != nil {
				what = tt.ev.Net.DstAddr
			}
			if tt.ev.File != nil {
				what = tt.ev.File.Path
			}
			t.Errorf("%s %s: findings %v, want drift %v", tt.ev.Type, what, summary(fs), tt.drift)
		}
	}
}

func BenchmarkAnalyzeDetect(b *testing.B) {
	dir := b.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "hand-edited.json"))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web.json"), src, 0o644); err != nil {
		b.Fatal(err)
	}
	a, err := New(Options{Dir: dir, Mode: Detect})
	if err != nil {
		b.Fatal(err)
	}
	c := web("c1")
	evs := []event.Event{exec(c, 0, "/usr/bin/python3.11"), connect(c, 0, "tcp", "10.1.2.3", 5432), write(c, 0, "/tmp/x"), exec(c, 0, "/opt/app/bin/run")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Analyze(&evs[i%len(evs)])
	}
}

func BenchmarkAnalyzeLearn(b *testing.B) {
	a, err := New(Options{Learn: 1000 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	c := web("c1")
	evs := []event.Event{exec(c, 0, "/usr/bin/python3.11"), connect(c, 0, "tcp", "10.1.2.3", 5432), write(c, 0, "/tmp/x"), bind(c, 0, 8080)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Analyze(&evs[i%len(evs)])
	}
}

func readRecording(t *testing.T) []event.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "scenario.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var ev event.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestReplayRecording learns from events the real sensor saw in a
// container of the runtime image, then checks the same events against the
// learned file (no drift: a baseline covers what it learned) and one new
// program (drift).
func TestReplayRecording(t *testing.T) {
	evs := readRecording(t)
	dir := t.TempDir()
	a, err := New(Options{Dir: dir, Learn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if fs := a.Analyze(&evs[i]); fs != nil {
			t.Fatalf("finding while learning: %v", summary(fs))
		}
	}
	if err := a.Flush(evs[len(evs)-1].Time.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	bs := a.Baselines()
	if len(bs) != 1 {
		t.Fatalf("%d baselines, want 1", len(bs))
	}
	data, err := os.ReadFile(filepath.Join(dir, bs[0].Image.FileName()))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "scenario.baseline.json", data)

	d, err := New(Options{Dir: dir, Mode: Detect})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if fs := d.Analyze(&evs[i]); fs != nil {
			t.Errorf("drift on learned behaviour: %v", summary(fs))
		}
	}
	ev := evs[len(evs)-1]
	ev.Type, ev.Proc.Exe, ev.File, ev.Net, ev.Change = event.Exec, "/usr/bin/perl", nil, nil, nil
	if diff := cmp.Diff([]string{"PAVE-RT-DRIFT-EXEC " + ev.Container.ID + " exec /usr/bin/perl"}, summary(d.Analyze(&ev))); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}
