package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// BenchmarkEnrichHit is the hot path: an event of a container already
// cached.
func BenchmarkEnrichHit(b *testing.B) {
	img := sensortest.RuntimeImage(b)
	r := newResolver(b, Config{})
	ctx := context.Background()
	id := sensortest.RunContainer(b, ctx, sensortest.RunOptions{Image: img})
	ino := sensortest.CgroupID(b, id)
	ev := &event.Event{CgroupID: ino}
	r.Enrich(ctx, ev)
	if ev.Container == nil {
		b.Fatalf("container %s not resolved: %+v", id, r.Stats())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := event.Event{CgroupID: ino}
		r.Enrich(ctx, &ev)
	}
}

// BenchmarkEnrichHitParallel is the hit path from every core at once.
func BenchmarkEnrichHitParallel(b *testing.B) {
	img := sensortest.RuntimeImage(b)
	r := newResolver(b, Config{})
	ctx := context.Background()
	id := sensortest.RunContainer(b, ctx, sensortest.RunOptions{Image: img})
	ino := sensortest.CgroupID(b, id)
	r.Enrich(ctx, &event.Event{CgroupID: ino})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ev := event.Event{CgroupID: ino}
			r.Enrich(ctx, &ev)
		}
	})
}

// BenchmarkEnrichHost is an event from a host cgroup.
func BenchmarkEnrichHost(b *testing.B) {
	r := newResolver(b, Config{NoDocker: true})
	ino, err := sensortest.Inode(sensortest.Cgroup2Mount(b))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ev := event.Event{CgroupID: ino}
		r.Enrich(ctx, &ev)
	}
}

// BenchmarkEnrichFirstEvent is the first event of a container that just
// started: the time Enrich takes when it is called right after `docker run
// -d` returns (the container's process is running). Run with
// -benchtime=10x: each iteration starts a container. The enriched-% metric
// says how many first events left with the full container (the rest
// carried the ContainerID only).
func BenchmarkEnrichFirstEvent(b *testing.B) {
	img := sensortest.RuntimeImage(b)
	r := newResolver(b, Config{})
	ctx := context.Background()
	mount := sensortest.Cgroup2Mount(b)
	enriched, n := 0, 0
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		id := sensortest.RunContainer(b, ctx, sensortest.RunOptions{Image: img})
		// Straight to the cgroup (the cgroupfs driver's path), not through
		// the docker CLI, which would give the event stream a head start.
		ino, err := sensortest.Inode(filepath.Join(mount, "docker", id))
		if err != nil {
			ino = sensortest.CgroupID(b, id)
		}
		ev := &event.Event{CgroupID: ino}
		b.StartTimer()
		start := time.Now()
		r.Enrich(ctx, ev)
		total += time.Since(start)
		b.StopTimer()
		n++
		if ev.Container != nil && ev.Container.ImageID != "" {
			enriched++
		}
		sensortest.RemoveContainer(b, id)
		b.StartTimer()
	}
	b.ReportMetric(100*float64(enriched)/float64(n), "enriched-%")
	b.ReportMetric(float64(total.Microseconds())/float64(n), "µs/first-event")
}

// BenchmarkEnrichFirstEventNoStream is the same without the engine's
// event stream: the first event pays the cgroup walk and the inspect.
func BenchmarkEnrichFirstEventNoStream(b *testing.B) {
	img := sensortest.RuntimeImage(b)
	sock := sensortest.DockerSocket(b)
	r := newResolver(b, Config{NoDocker: true})
	r.docker = newDockerClient(sock) // API lookups on, events off
	r.cfg.RescanInterval = time.Nanosecond
	ctx := context.Background()
	enriched, n := 0, 0
	for b.Loop() {
		b.StopTimer()
		id := sensortest.RunContainer(b, ctx, sensortest.RunOptions{Image: img})
		ev := &event.Event{CgroupID: sensortest.CgroupID(b, id)}
		b.StartTimer()
		r.Enrich(ctx, ev)
		b.StopTimer()
		n++
		if ev.Container != nil && ev.Container.ImageID != "" {
			enriched++
		}
		sensortest.RemoveContainer(b, id)
		b.StartTimer()
	}
	b.ReportMetric(100*float64(enriched)/float64(n), "enriched-%")
}

// BenchmarkWalk1000 walks a hierarchy with 1000 more cgroups than the
// machine has (created for the benchmark under the unified root).
func BenchmarkWalk1000(b *testing.B) {
	mount := sensortest.Cgroup2Mount(b)
	base := filepath.Join(mount, fmt.Sprintf("pave-bench-%d", os.Getpid()))
	if err := os.Mkdir(base, 0o755); err != nil {
		b.Skipf("cannot create cgroups: %v", err)
	}
	var made []string
	b.Cleanup(func() {
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
		os.Remove(base)
	})
	for i := range 50 {
		pod := filepath.Join(base, fmt.Sprintf("pod%d", i))
		if err := os.Mkdir(pod, 0o755); err != nil {
			b.Fatal(err)
		}
		made = append(made, pod)
		for j := range 19 {
			c := filepath.Join(pod, fakeID(i*100+j))
			if err := os.Mkdir(c, 0o755); err != nil {
				b.Fatal(err)
			}
			made = append(made, c)
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dirs, err := walkCgroups(ctx, mount, "/")
		if err != nil || len(dirs) < 1000 {
			b.Fatalf("%d dirs, %v", len(dirs), err)
		}
	}
}

func BenchmarkParseCgroupPath(b *testing.B) {
	p := "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2b4a5c1e_8f0d_4c3b_9a7e_1d2c3b4a5f6e.slice/cri-containerd-" + id1 + ".scope"
	b.ReportAllocs()
	for b.Loop() {
		ParseCgroupPath(p)
	}
}

func BenchmarkDecodeInspect(b *testing.B) {
	data := readTestdata(b, "container-labels.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeInspect(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCgroupPathByID is the miss path for a cgroup not yet seen:
// open_by_handle_at, readlink, close.
func BenchmarkCgroupPathByID(b *testing.B) {
	r := newResolver(b, Config{NoDocker: true})
	fd := r.mountFD.Load()
	ino, err := sensortest.Inode(r.mount)
	if err != nil || fd < 0 {
		b.Skipf("mount %s: fd %d, %v", r.mount, fd, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cgroupPathByID(int(fd), r.mount, r.root, ino); err != nil {
			b.Skipf("open_by_handle_at: %v", err)
		}
	}
}
