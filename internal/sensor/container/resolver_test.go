package container

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/sensor/event"
	"github.com/pavesec/pave/internal/sensor/sensortest"
)

// newResolver starts a Resolver on the engine setup.sh started, closed
// when the test ends.
func newResolver(t testing.TB, cfg Config) *Resolver {
	t.Helper()
	if !cfg.NoDocker {
		cfg.DockerSocket = sensortest.DockerSocket(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := New(ctx, cfg)
	if errors.Is(err, ErrNoCgroup2) {
		t.Skip("no cgroup v2 hierarchy on this machine")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// engineView is what the engine itself says about a container, through
// the docker CLI: the expectation Enrich is checked against.
func engineView(t *testing.T, ctx context.Context, id string) *event.Container {
	t.Helper()
	out, err := sensortest.Docker(ctx, "container", "inspect", "--format",
		`{"name":{{json .Name}},"image":{{json .Config.Image}},"imageId":{{json .Image}},"labels":{{json .Config.Labels}},"privileged":{{.HostConfig.Privileged}}}`, id)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Name, Image, ImageID string
		Labels               map[string]string
		Privileged           bool
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	c := &event.Container{ID: id, Name: v.Name[1:], Runtime: RuntimeDocker, Image: v.Image, ImageID: v.ImageID,
		Labels: v.Labels, Privileged: v.Privileged}
	c.PodName, c.PodNamespace = v.Labels[labelPodName], v.Labels[labelPodNamespace]
	out, err = sensortest.Docker(ctx, "image", "inspect", "--format", `{{range .RepoDigests}}{{.}} {{end}}`, v.ImageID)
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(out); len(f) > 0 {
		_, c.ImageDigest, _ = strings.Cut(f[0], "@")
	}
	return c
}

func TestEnrichRunningContainer(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	r := newResolver(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "pave-enrich-" + time.Now().Format("150405.000000")[7:]
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{
		Image: img, Name: name,
		Labels: map[string]string{"app": "web", labelPodName: "web-7d9f", labelPodNamespace: "shop"},
	})
	ino := sensortest.CgroupID(t, id)
	want := engineView(t, ctx, id)
	if want.Name != name || want.Labels["app"] != "web" {
		t.Fatalf("engine view %+v", want)
	}

	ev := &event.Event{Type: event.Exec, CgroupID: ino}
	r.Enrich(ctx, ev)
	if ev.ContainerID != id || ev.Host {
		t.Fatalf("Enrich: ContainerID %q Host %v; want %s", ev.ContainerID, ev.Host, id)
	}
	if diff := cmp.Diff(want, ev.Container); diff != "" {
		t.Errorf("Enrich container (-engine +enriched):\n%s", diff)
	}
	if ev.Container.PodName != "web-7d9f" || ev.Container.PodNamespace != "shop" {
		t.Errorf("pod %q/%q", ev.Container.PodNamespace, ev.Container.PodName)
	}
	// The second event of the container is a cache hit, the same value.
	ev2 := &event.Event{Type: event.Open, CgroupID: ino}
	before := r.Stats()
	r.Enrich(ctx, ev2)
	after := r.Stats()
	if ev2.Container != ev.Container || after.Hits != before.Hits+1 {
		t.Errorf("second event: container %p vs %p, hits %d -> %d", ev2.Container, ev.Container, before.Hits, after.Hits)
	}
	if !after.Following {
		t.Error("Stats.Following = false with the engine up")
	}
	c, err := r.Container(ctx, id)
	if err != nil || c != ev.Container {
		t.Errorf("Container(%s) = %p, %v", id, c, err)
	}
}

// TestEnrichShortLivedRemoved: a container that lives a fraction of a
// second under --rm, and whose first event is handled only after the
// engine removed it (and its cgroup), is still enriched: the resolver
// learned it from the event stream.
func TestEnrichShortLivedRemoved(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	r := newResolver(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A second resolver, without the engine's events, cannot know it.
	blind := newResolver(t, Config{NoDocker: true})
	imageID, err := sensortest.Docker(ctx, "image", "inspect", "--format", "{{.Id}}", img)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{
		Image: img, Remove: true, Labels: map[string]string{"app": "blink"},
		Cmd: []string{"/bin/sh", "-c", "sleep 0.5"},
	})
	dir := sensortest.CgroupDir(t, id)
	if dir == "" {
		t.Fatalf("no cgroup directory names %s (exited already?)", id)
	}
	ino, err := sensortest.Inode(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := sensortest.WaitGone(ctx, id); err != nil {
		t.Fatal(err)
	}
	lived := time.Since(start)
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cgroup %s still there after removal: %v", dir, err)
	}
	if lived > 5*time.Second {
		t.Logf("container lived %v (slow machine)", lived)
	}

	ev := &event.Event{Type: event.Exit, CgroupID: ino}
	r.Enrich(ctx, ev)
	if ev.ContainerID != id || ev.Container == nil {
		t.Fatalf("Enrich after removal: ContainerID %q Container %+v; stats %+v", ev.ContainerID, ev.Container, r.Stats())
	}
	c := ev.Container
	if c.ID != id || c.Image != img || c.ImageID != imageID || c.Labels["app"] != "blink" || c.Name == "" || c.Runtime != RuntimeDocker {
		t.Errorf("container %+v; want image %s (%s)", c, img, imageID)
	}
	ev = &event.Event{Type: event.Exit, CgroupID: ino}
	blind.Enrich(ctx, ev)
	if ev.ContainerID != "" || ev.Container != nil || blind.Stats().Unknown != 1 {
		t.Errorf("resolver without events: %+v, stats %+v", ev, blind.Stats())
	}
}

func TestEnrichHost(t *testing.T) {
	r := newResolver(t, Config{NoDocker: true})
	ctx := context.Background()
	mount := sensortest.Cgroup2Mount(t)
	root, err := sensortest.Inode(mount)
	if err != nil {
		t.Fatal(err)
	}
	// The root cgroup and the cgroup this test runs in.
	inos := []uint64{root}
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if p, ok := strings.CutPrefix(line, "0::"); ok && ParseCgroupPath(p).Host() {
				if ino, err := sensortest.Inode(filepath.Join(mount, p)); err == nil {
					inos = append(inos, ino)
				}
			}
		}
	}
	for _, ino := range inos {
		ev := &event.Event{CgroupID: ino}
		r.Enrich(ctx, ev)
		if !ev.Host || ev.ContainerID != "" || ev.Container != nil {
			t.Errorf("cgroup %d: Host %v ContainerID %q Container %+v", ino, ev.Host, ev.ContainerID, ev.Container)
		}
	}
	if s := r.Stats(); s.Host != uint64(len(inos)) {
		t.Errorf("Stats.Host = %d, want %d", s.Host, len(inos))
	}

	// An id no cgroup has: left alone, counted unknown.
	ev := &event.Event{CgroupID: 1<<62 + 12345}
	r.Enrich(ctx, ev)
	if ev.Host || ev.ContainerID != "" || ev.Container != nil || r.Stats().Unknown != 1 {
		t.Errorf("unknown cgroup: %+v, stats %+v", ev, r.Stats())
	}
}

// TestEnrichWithoutDocker: with the API off, a running Docker container
// is still identified from its cgroup path and its OCI bundle.
func TestEnrichWithoutDocker(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	r := newResolver(t, Config{NoDocker: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := sensortest.RunContainer(t, ctx, sensortest.RunOptions{Image: img})
	ev := &event.Event{CgroupID: sensortest.CgroupID(t, id)}
	r.Enrich(ctx, ev)
	if ev.ContainerID != id || ev.Host {
		t.Fatalf("ContainerID %q Host %v", ev.ContainerID, ev.Host)
	}
	if ev.Container == nil {
		t.Skipf("no OCI bundle for %s under %v on this machine", id, DefaultBundleGlobs())
	}
	if want := (&event.Container{ID: id, Runtime: RuntimeDocker}); !cmp.Equal(want, ev.Container) {
		t.Errorf("container from the bundle: %+v, want %+v", ev.Container, want)
	}
}

// TestContainerPrivileged asks the engine about a privileged container
// (created, not started: this sandbox cannot start privileged ones).
func TestContainerPrivileged(t *testing.T) {
	img := sensortest.RuntimeImage(t)
	r := newResolver(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := sensortest.Docker(ctx, "create", "--privileged", "--network", "none", "--label", "app=priv", img, "true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sensortest.RemoveContainer(t, id) })
	c, err := r.Container(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := engineView(t, ctx, id)
	if !want.Privileged {
		t.Fatalf("engine says not privileged: %+v", want)
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Container (-engine +resolver):\n%s", diff)
	}
	if _, err := r.Container(ctx, strings.Repeat("ab", 32)); !errors.Is(err, ErrNotFound) {
		t.Errorf("Container of an unknown id: %v, want ErrNotFound", err)
	}
}
