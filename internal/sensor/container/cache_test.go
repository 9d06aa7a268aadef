package container

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// bare is a Resolver with caches and no I/O, for the cache rules.
func bare(cfg Config) *Resolver {
	cfg.defaults()
	return &Resolver{
		cfg: cfg, cgroups: map[uint64]*cgroupEntry{}, containers: map[string]*containerEntry{},
		drafts: map[string]*event.Container{}, images: map[string]string{}, parents: map[string]bool{},
		pending: map[string]*fetch{}, removed: map[string]time.Time{}, closed: make(chan struct{}),
	}
}

func fakeID(i int) string { return fmt.Sprintf("%064x", i) }

func TestPrune(t *testing.T) {
	r := bare(Config{MaxContainers: 10, Linger: time.Minute, NotFoundTTL: time.Second})
	now := time.Now()
	for i := range 25 {
		e := &containerEntry{c: &event.Container{ID: fakeID(i)}, at: now}
		e.used.Store(int64(i))
		r.containers[fakeID(i)] = e
	}
	// Removed long ago, removed just now, and a stale "not found".
	r.containers[fakeID(100)] = &containerEntry{c: &event.Container{}, at: now, destroyed: now.Add(-2 * time.Minute)}
	r.containers[fakeID(101)] = &containerEntry{c: &event.Container{}, at: now, destroyed: now.Add(-time.Second)}
	r.containers[fakeID(101)].used.Store(1000)
	r.containers[fakeID(102)] = &containerEntry{at: now.Add(-2 * time.Second)}
	r.drafts[fakeID(24)] = &event.Container{}
	r.drafts[fakeID(200)] = &event.Container{}
	r.cgroups[1] = &cgroupEntry{path: "/"}
	r.cgroups[2] = &cgroupEntry{path: "/docker/" + fakeID(100), gone: now.Add(-2 * time.Minute)}
	r.cgroups[3] = &cgroupEntry{path: "/docker/" + fakeID(101), gone: now.Add(-time.Second)}
	r.pruneLocked(now)

	if n := len(r.containers); n > 10 {
		t.Errorf("%d containers cached, bound 10", n)
	}
	for _, gone := range []int{100, 102, 0, 5, 14} {
		if _, ok := r.containers[fakeID(gone)]; ok {
			t.Errorf("entry %d kept", gone)
		}
	}
	for _, kept := range []int{101, 24, 23, 20} {
		if _, ok := r.containers[fakeID(kept)]; !ok {
			t.Errorf("entry %d dropped", kept)
		}
	}
	if _, ok := r.drafts[fakeID(24)]; ok {
		t.Error("draft of a resolved container kept")
	}
	if _, ok := r.drafts[fakeID(200)]; !ok {
		t.Error("draft of an unresolved container dropped")
	}
	if r.cgroups[1] == nil || r.cgroups[2] != nil || r.cgroups[3] == nil {
		t.Errorf("cgroups after prune: live %v, gone long ago %v, gone just now %v", r.cgroups[1] != nil, r.cgroups[2] != nil, r.cgroups[3] != nil)
	}

	// Over the cgroup bound, vanished ones go first, then any.
	r = bare(Config{MaxContainers: 1})
	bound := r.maxCgroups()
	for i := range bound + 10 {
		e := &cgroupEntry{path: fmt.Sprint("/x", i)}
		if i < 5 {
			e.gone = now
		}
		r.cgroups[uint64(i)] = e
	}
	r.pruneLocked(now)
	if len(r.cgroups) != bound {
		t.Errorf("%d cgroups after prune, bound %d", len(r.cgroups), bound)
	}
	for i := range 5 {
		if r.cgroups[uint64(i)] != nil {
			t.Errorf("vanished cgroup %d kept while live ones were dropped", i)
		}
	}
}

// TestStalledEngine: an engine that accepts connections and never answers
// (a hung dockerd) costs each event at most the wait: the event leaves
// with its ContainerID, a miss is counted, and the failed call becomes an
// API error once the lookup times out.
func TestStalledEngine(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	sock := filepath.Join(t.TempDir(), "hung.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := New(ctx, Config{DockerSocket: sock, BundleGlobs: []string{}, Wait: 20 * time.Millisecond, FetchTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Stats().Following {
		t.Error("Following with an engine that never answered")
	}
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img})
	ev := &event.Event{CgroupID: sensortest.CgroupID(t, id)}
	r.Enrich(ctx, ev)
	if ev.ContainerID != id || ev.Container != nil {
		t.Fatalf("ContainerID %q Container %+v; want the id only", ev.ContainerID, ev.Container)
	}
	if s := r.Stats(); s.Misses != 1 || s.Hits != 0 {
		t.Errorf("stats %+v; want one miss", s)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().APIErrors == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if r.Stats().APIErrors == 0 {
		t.Errorf("no API error counted after the lookup timed out: %+v", r.Stats())
	}
}

// TestCloseStops: Close ends the event stream and every lookup.
func TestCloseStops(t *testing.T) {
	sock := sensortest.DockerSocket(t)
	before := runtime.NumGoroutine()
	ctx := context.Background()
	r, err := New(ctx, Config{DockerSocket: sock})
	if err != nil {
		t.Fatal(err)
	}
	r.Enrich(ctx, &event.Event{CgroupID: 1<<62 + 1})
	if _, err := r.Container(ctx, fakeID(7)); err == nil {
		t.Error("Container of an id no runtime has: no error")
	}
	r.Close()
	r.Close() // twice is fine
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
	ev := &event.Event{CgroupID: 1<<62 + 2}
	r.Enrich(ctx, ev) // after Close: no lookups, no panic
}

// TestCgroupPathByID: the file-handle lookup finds the path the kernel
// shows in /proc/<pid>/cgroup, and nothing for an id no cgroup has.
func TestCgroupPathByID(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	r := newResolver(t, Config{NoDocker: true})
	fd := r.mountFD.Load()
	if fd < 0 {
		t.Skip("cgroup2 mount not open")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img})
	want := sensortest.CgroupPath(t, id)
	got, err := cgroupPathByID(int(fd), r.mount, r.root, sensortest.CgroupID(t, id))
	if err != nil {
		t.Skipf("open_by_handle_at not usable here: %v", err)
	}
	if got != want {
		t.Errorf("cgroupPathByID = %q, want %q", got, want)
	}
	// An id no cgroup has, 0, and the id of a control file.
	procs, err := sensortest.Inode(r.mount + "/cgroup.procs")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []uint64{1<<62 + 5, 0, procs} {
		if _, err := cgroupPathByID(int(fd), r.mount, r.root, bad); err != errHandleGone {
			t.Errorf("id %d: %v, want errHandleGone", bad, err)
		}
	}
	r.Enrich(ctx, &event.Event{CgroupID: procs})
	if r.noHandles.Load() {
		t.Error("handles disabled by a bad id")
	}
}

// TestEnrichByWalk: without file handles (an unprivileged sensor), a new
// container's cgroup is found by walking the hierarchy.
func TestEnrichByWalk(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	r := newResolver(t, Config{RescanInterval: time.Nanosecond})
	r.noHandles.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	walks := r.Stats().Walks
	// Started with the stream off, so only the miss can find it.
	r.stop()
	for r.Stats().Following {
		time.Sleep(5 * time.Millisecond)
	}
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img, Labels: map[string]string{"app": "walk"}})
	ev := &event.Event{CgroupID: sensortest.CgroupID(t, id)}
	r.Enrich(ctx, ev)
	if ev.ContainerID != id {
		t.Fatalf("ContainerID %q, want %s; stats %+v", ev.ContainerID, id, r.Stats())
	}
	if r.Stats().Walks <= walks {
		t.Errorf("no walk counted: %+v", r.Stats())
	}
	// The inspect is started by the miss; the event may have left before
	// it answered, the next one is a hit.
	c, err := r.Container(ctx, id)
	if err != nil || c.Labels["app"] != "walk" {
		t.Errorf("Container = %+v, %v", c, err)
	}
}
