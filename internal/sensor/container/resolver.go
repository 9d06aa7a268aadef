// Package container tells the runtime sensor which container an event came
// from. Resolver implements event.Enricher: the event's cgroup id (the
// inode of its cgroup v2 directory) leads to the cgroup's path, the path to
// the container id (docker, containerd, cri-o, podman and kubepods shapes),
// and the id to the container's name, image, labels and pod through the
// Docker Engine API (a unix socket, plain net/http) or, for CRI runtimes,
// the OCI bundle containerd and cri-o keep for each running container.
//
// Everything is cached. The Engine's event stream is followed so that a
// container is known from its start, even one that lives a fraction of a
// second under --rm, and entries outlive a container's removal for a while
// so late events still enrich. Enrich never waits longer than Config.Wait:
// past that the event keeps its ContainerID only and a miss is counted.
package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pavesec/pave/internal/sensor/event"
)

// Config tunes a Resolver. The zero value works.
type Config struct {
	// DockerSocket is the Engine API's unix socket; default
	// /var/run/docker.sock when it exists. NoDocker turns the API off.
	DockerSocket string
	NoDocker     bool
	// CgroupMount is the unified hierarchy's mount point; default: the
	// cgroup2 line of /proc/self/mountinfo.
	CgroupMount string
	// BundleGlobs are where OCI bundles are looked for ({id} is the
	// container id); default DefaultBundleGlobs().
	BundleGlobs []string
	// Wait caps how long one Enrich waits for a container being resolved;
	// default 80ms.
	Wait time.Duration
	// FetchTimeout bounds one lookup (API calls plus bundle reads); default 2s.
	FetchTimeout time.Duration
	// Linger is how long a removed container (and a vanished cgroup)
	// stays cached; default 2 minutes.
	Linger time.Duration
	// MaxContainers bounds the container cache; default 4096.
	MaxContainers int
	// RescanInterval is the least time between two walks of the cgroup
	// hierarchy caused by unknown cgroup ids; default 100ms.
	RescanInterval time.Duration
	// NotFoundTTL is how long "no runtime knows this id" is remembered;
	// default 2s.
	NotFoundTTL time.Duration
	// Logger receives API failures at debug and warn level; default none.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Wait <= 0 {
		c.Wait = 80 * time.Millisecond
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 2 * time.Second
	}
	if c.Linger <= 0 {
		c.Linger = 2 * time.Minute
	}
	if c.MaxContainers <= 0 {
		c.MaxContainers = 4096
	}
	if c.RescanInterval <= 0 {
		c.RescanInterval = 100 * time.Millisecond
	}
	if c.NotFoundTTL <= 0 {
		c.NotFoundTTL = 2 * time.Second
	}
	if c.BundleGlobs == nil {
		c.BundleGlobs = DefaultBundleGlobs()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats are a Resolver's counters since New.
type Stats struct {
	// Hits are container events served from the cache.
	Hits uint64 `json:"hits"`
	// Resolved are events that waited (at most Config.Wait) for a lookup
	// and got the container.
	Resolved uint64 `json:"resolved"`
	// Misses are container events emitted with ContainerID only: the
	// lookup was slow, failed, or no runtime knew the id.
	Misses uint64 `json:"misses"`
	// Unknown are events whose cgroup id is not in the hierarchy (gone
	// before a walk saw it); they are left unenriched.
	Unknown uint64 `json:"unknown"`
	// Host are events from cgroups that belong to no container.
	Host uint64 `json:"host"`
	// APIErrors count failed Engine API calls (404 is not a failure) and
	// broken event streams.
	APIErrors uint64 `json:"apiErrors"`
	// Walks count walks of the cgroup hierarchy.
	Walks uint64 `json:"walks"`
	// Containers and Cgroups are the cache sizes.
	Containers int `json:"containers"`
	Cgroups    int `json:"cgroups"`
	// Following is set while the Engine's event stream is connected.
	Following bool `json:"following"`
}

// Resolver maps cgroup ids to containers. It is safe for concurrent use.
type Resolver struct {
	cfg    Config
	mount  string // where the unified hierarchy is mounted
	root   string // the mount's root within the hierarchy
	docker *dockerClient

	mu         sync.RWMutex
	cgroups    map[uint64]*cgroupEntry
	containers map[string]*containerEntry
	drafts     map[string]*event.Container // from create events
	images     map[string]string           // image id → digest
	parents    map[string]bool             // hierarchy paths holding container cgroups
	pending    map[string]*fetch
	removed    map[string]time.Time // destroyed while a lookup was in flight
	lastWalk   time.Time
	lastPrune  time.Time
	isClosed   bool

	walkMu sync.Mutex // one walk at a time
	clock  atomic.Int64
	// mountFD is the hierarchy's mount point, open for
	// open_by_handle_at (-1 when it could not be opened); noHandles is set
	// once that system call failed for want of privilege or support.
	mountFD   atomic.Int64
	noHandles atomic.Bool

	hits, resolved, misses, unknown, host, apiErrors, walks atomic.Uint64
	following                                               atomic.Bool

	stop   context.CancelFunc
	closed chan struct{}
	wg     sync.WaitGroup
}

type cgroupEntry struct {
	ident Identity
	path  string
	gone  time.Time // when a walk first missed the directory
}

type containerEntry struct {
	c         *event.Container // nil: no runtime knows the id
	at        time.Time
	destroyed time.Time
	used      atomic.Int64 // Resolver.clock at the last hit
}

type fetch struct {
	done chan struct{}
	c    *event.Container
}

var _ event.Enricher = (*Resolver)(nil)

// New finds the cgroup v2 hierarchy, walks it once, and when the Docker
// socket is there starts following the Engine's events (it waits up to
// Config.FetchTimeout for the stream to connect, so containers started
// after New returns are seen from their start). Close stops it.
func New(ctx context.Context, cfg Config) (*Resolver, error) {
	cfg.defaults()
	r := &Resolver{
		cfg:        cfg,
		mount:      cfg.CgroupMount,
		root:       "/",
		cgroups:    map[uint64]*cgroupEntry{},
		containers: map[string]*containerEntry{},
		drafts:     map[string]*event.Container{},
		images:     map[string]string{},
		parents:    map[string]bool{},
		pending:    map[string]*fetch{},
		removed:    map[string]time.Time{},
		closed:     make(chan struct{}),
	}
	if r.mount == "" {
		f, err := os.Open("/proc/self/mountinfo")
		if err != nil {
			return nil, fmt.Errorf("container: %w", err)
		}
		r.mount, r.root, err = FindCgroup2Mount(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	r.mountFD.Store(-1)
	if fd, err := unix.Open(r.mount, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
		r.mountFD.Store(int64(fd))
	}
	for _, p := range []string{"/docker", "/system.slice", "/machine.slice", "/libpod_parent"} {
		r.parents[p] = true
	}
	if err := r.walk(ctx); err != nil {
		r.closeMount()
		return nil, err
	}
	if !cfg.NoDocker {
		sock := cfg.DockerSocket
		if sock == "" {
			sock = "/var/run/docker.sock"
			if _, err := os.Stat(sock); err != nil {
				sock = ""
			}
		}
		if sock != "" {
			r.docker = newDockerClient(sock)
			cfg.DockerSocket = sock
		}
	}
	life, stop := context.WithCancel(context.Background())
	r.stop = stop
	if r.docker != nil {
		ready := make(chan struct{})
		r.wg.Add(1)
		go r.follow(life, ready)
		t := time.NewTimer(cfg.FetchTimeout)
		defer t.Stop()
		select {
		case <-ready:
		case <-t.C:
			cfg.Logger.Warn("container: docker event stream not connected; starting without it", "socket", cfg.DockerSocket)
		case <-ctx.Done():
			r.Close()
			return nil, fmt.Errorf("container: new: %w", ctx.Err())
		}
	}
	return r, nil
}

// Close stops following events and waits for lookups in flight.
func (r *Resolver) Close() error {
	r.mu.Lock()
	if r.isClosed {
		r.mu.Unlock()
		return nil
	}
	r.isClosed = true
	r.mu.Unlock()
	close(r.closed)
	if r.stop != nil {
		r.stop()
	}
	r.wg.Wait()
	if r.docker != nil {
		r.docker.close()
	}
	r.closeMount()
	return nil
}

func (r *Resolver) closeMount() {
	if fd := r.mountFD.Swap(-1); fd >= 0 {
		unix.Close(int(fd))
	}
}

// Stats returns the counters.
func (r *Resolver) Stats() Stats {
	r.mu.RLock()
	nc, ng := len(r.containers), len(r.cgroups)
	r.mu.RUnlock()
	return Stats{
		Hits: r.hits.Load(), Resolved: r.resolved.Load(), Misses: r.misses.Load(),
		Unknown: r.unknown.Load(), Host: r.host.Load(), APIErrors: r.apiErrors.Load(),
		Walks: r.walks.Load(), Containers: nc, Cgroups: ng, Following: r.following.Load(),
	}
}

// Enrich sets ev.Host for host cgroups, and ev.ContainerID and
// ev.Container for container ones. The Container is shared between events
// of the same container: treat it as read-only.
func (r *Resolver) Enrich(ctx context.Context, ev *event.Event) {
	if ev.CgroupID == 0 {
		r.unknown.Add(1) // no cgroup recorded (a replayed or synthetic event)
		return
	}
	r.mu.RLock()
	cg := r.cgroups[ev.CgroupID]
	var ce *containerEntry
	if cg != nil && cg.ident.ID != "" {
		ce = r.containers[cg.ident.ID]
	}
	r.mu.RUnlock()
	if cg == nil {
		if cg = r.lookupCgroup(ctx, ev.CgroupID); cg == nil {
			r.unknown.Add(1)
			return
		}
		if cg.ident.ID != "" {
			r.mu.RLock()
			ce = r.containers[cg.ident.ID]
			r.mu.RUnlock()
		}
	}
	if cg.ident.Host() {
		ev.Host = true
		r.host.Add(1)
		return
	}
	if cg.ident.ID == "" {
		return // a pod's own cgroup: no container runs there
	}
	ev.ContainerID = cg.ident.ID
	if ce != nil {
		if ce.c != nil {
			ce.used.Store(r.clock.Load())
			ev.Container = ce.c
			r.hits.Add(1)
			return
		}
		if time.Since(ce.at) < r.cfg.NotFoundTTL {
			r.misses.Add(1)
			return
		}
	}
	if c := r.await(ctx, cg.ident); c != nil {
		ev.Container = c
		r.resolved.Add(1)
		return
	}
	r.misses.Add(1)
}

// Container returns what the resolver knows or can find out about a
// container id, waiting up to Config.FetchTimeout; ErrNotFound when no
// runtime knows it.
func (r *Resolver) Container(ctx context.Context, id string) (*event.Container, error) {
	r.mu.RLock()
	ce := r.containers[id]
	r.mu.RUnlock()
	if ce != nil && ce.c != nil {
		return ce.c, nil
	}
	f := r.startFetch(Identity{ID: id})
	if f == nil {
		return nil, fmt.Errorf("container: resolver closed")
	}
	t := time.NewTimer(r.cfg.FetchTimeout)
	defer t.Stop()
	select {
	case <-f.done:
	case <-t.C:
		return nil, fmt.Errorf("container: %s: lookup timed out", id)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.c == nil {
		return nil, fmt.Errorf("container: %s: %w", id, ErrNotFound)
	}
	return f.c, nil
}

// await starts (or joins) a lookup and waits at most Config.Wait for it.
func (r *Resolver) await(ctx context.Context, ident Identity) *event.Container {
	f := r.startFetch(ident)
	if f == nil {
		return nil
	}
	select {
	case <-f.done:
		return f.c
	default:
	}
	t := time.NewTimer(r.cfg.Wait)
	defer t.Stop()
	select {
	case <-f.done:
		return f.c
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// startFetch starts a lookup of ident.ID unless one is in flight; nil
// once the resolver is closed.
func (r *Resolver) startFetch(ident Identity) *fetch {
	r.mu.Lock()
	if r.isClosed {
		r.mu.Unlock()
		return nil
	}
	if f := r.pending[ident.ID]; f != nil {
		r.mu.Unlock()
		return f
	}
	f := &fetch{done: make(chan struct{})}
	r.pending[ident.ID] = f
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		ctx, cancel := r.opContext()
		defer cancel()
		c, err := r.resolve(ctx, ident)
		now := time.Now()
		r.mu.Lock()
		delete(r.pending, ident.ID)
		if c != nil || errors.Is(err, ErrNotFound) {
			old := r.containers[ident.ID]
			e := &containerEntry{c: c, at: now}
			if old != nil {
				e.destroyed = old.destroyed
			}
			if t, ok := r.removed[ident.ID]; ok {
				e.destroyed = t
				delete(r.removed, ident.ID)
			}
			e.used.Store(r.clock.Add(1))
			r.containers[ident.ID] = e
			r.pruneLocked(now)
		}
		r.mu.Unlock()
		f.c = c
		close(f.done)
	}()
	return f
}

// opContext bounds one lookup by Config.FetchTimeout and by Close.
func (r *Resolver) opContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.FetchTimeout)
	go func() {
		select {
		case <-r.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// resolve asks the Engine API, then the OCI bundles, then falls back to
// what the create event said.
func (r *Resolver) resolve(ctx context.Context, ident Identity) (*event.Container, error) {
	var apiErr error
	if r.docker != nil && (ident.Runtime == "" || ident.Runtime == RuntimeDocker) {
		c, err := r.docker.inspect(ctx, ident.ID)
		if err == nil {
			if c.ImageID != "" {
				c.ImageDigest = r.imageDigest(ctx, c.ImageID)
			}
			return c, nil
		}
		if !errors.Is(err, ErrNotFound) {
			r.apiErrors.Add(1)
			r.cfg.Logger.Debug("container: docker inspect failed", "id", ident.ID, "err", err)
			apiErr = err
		}
	}
	c, err := readBundle(r.cfg.BundleGlobs, ident.ID)
	if err == nil {
		if ident.Runtime != "" && (c.Runtime == "" || c.Runtime == RuntimeContainerd && ident.Runtime != RuntimeDocker) {
			c.Runtime = ident.Runtime
		}
		return c, nil
	}
	if !errors.Is(err, ErrNotFound) {
		r.cfg.Logger.Debug("container: bundle read failed", "id", ident.ID, "err", err)
	}
	r.mu.RLock()
	d := r.drafts[ident.ID]
	r.mu.RUnlock()
	if d != nil {
		return d, nil
	}
	if apiErr != nil {
		return nil, apiErr
	}
	return nil, ErrNotFound
}

// imageDigest is the cached RepoDigest of an image id ("" when none).
func (r *Resolver) imageDigest(ctx context.Context, imageID string) string {
	r.mu.RLock()
	dg, ok := r.images[imageID]
	r.mu.RUnlock()
	if ok {
		return dg
	}
	dg, err := r.docker.imageDigest(ctx, imageID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			r.apiErrors.Add(1)
			r.cfg.Logger.Debug("container: docker image inspect failed", "image", imageID, "err", err)
		}
		return ""
	}
	r.mu.Lock()
	if len(r.images) >= r.cfg.MaxContainers {
		clear(r.images)
	}
	r.images[imageID] = dg
	r.mu.Unlock()
	return dg
}

// maxCgroups bounds the cgroup cache: a dropped live entry costs one
// file-handle lookup (or a walk) on its next event.
func (r *Resolver) maxCgroups() int { return 8*r.cfg.MaxContainers + 4096 }

// pruneLocked, at most once a second unless a cache is over its bound,
// drops what outlived Config.Linger, then, while the container cache is
// over Config.MaxContainers, the least recently used tenth, and while the
// cgroup cache is over its bound, vanished cgroups first, then any.
func (r *Resolver) pruneLocked(now time.Time) {
	if now.Sub(r.lastPrune) < time.Second && len(r.containers) <= r.cfg.MaxContainers && len(r.cgroups) <= r.maxCgroups() {
		return
	}
	r.lastPrune = now
	for ino, e := range r.cgroups {
		if !e.gone.IsZero() && now.Sub(e.gone) > r.cfg.Linger {
			delete(r.cgroups, ino)
		}
	}
	for ino, e := range r.cgroups {
		if len(r.cgroups) <= r.maxCgroups() {
			break
		}
		if !e.gone.IsZero() {
			delete(r.cgroups, ino)
		}
	}
	for ino := range r.cgroups {
		if len(r.cgroups) <= r.maxCgroups() {
			break
		}
		delete(r.cgroups, ino)
	}
	for id, e := range r.containers {
		if !e.destroyed.IsZero() && now.Sub(e.destroyed) > r.cfg.Linger ||
			e.c == nil && now.Sub(e.at) > r.cfg.NotFoundTTL {
			delete(r.containers, id)
		}
	}
	for id, t := range r.removed {
		if now.Sub(t) > r.cfg.Linger {
			delete(r.removed, id)
		}
	}
	for id := range r.drafts {
		if _, ok := r.containers[id]; ok || len(r.drafts) > r.cfg.MaxContainers {
			delete(r.drafts, id)
		}
	}
	if len(r.containers) <= r.cfg.MaxContainers {
		return
	}
	type aged struct {
		id   string
		used int64
	}
	all := make([]aged, 0, len(r.containers))
	for id, e := range r.containers {
		all = append(all, aged{id, e.used.Load()})
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.used, b.used) })
	drop := len(all) - r.cfg.MaxContainers + r.cfg.MaxContainers/10
	for _, a := range all[:min(drop, len(all))] {
		delete(r.containers, a.id)
	}
}

// lookupCgroup finds an unknown cgroup id: by file handle when the
// kernel lets us, else by walking the hierarchy, at most once per
// Config.RescanInterval.
func (r *Resolver) lookupCgroup(ctx context.Context, ino uint64) *cgroupEntry {
	if fd := r.mountFD.Load(); fd >= 0 && !r.noHandles.Load() {
		path, err := cgroupPathByID(int(fd), r.mount, r.root, ino)
		switch {
		case err == nil:
			r.mu.Lock()
			defer r.mu.Unlock()
			if e := r.cgroups[ino]; e != nil && e.path == path {
				return e
			}
			e := r.addCgroupLocked(ino, path)
			r.pruneLocked(time.Now())
			return e
		case errors.Is(err, errHandleGone):
			// No live cgroup has the id: a walk cannot find it either.
			r.mu.RLock()
			defer r.mu.RUnlock()
			return r.cgroups[ino]
		case errors.Is(err, unix.EPERM), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL):
			r.cfg.Logger.Debug("container: open_by_handle_at unusable; walking the hierarchy instead", "err", err)
			r.noHandles.Store(true)
		default:
			r.cfg.Logger.Debug("container: cgroup by handle failed", "err", err)
		}
	}
	return r.walkFor(ctx, ino)
}

// walkFor walks the hierarchy for an unknown cgroup id, at most once per
// Config.RescanInterval.
func (r *Resolver) walkFor(ctx context.Context, ino uint64) *cgroupEntry {
	r.walkMu.Lock()
	defer r.walkMu.Unlock()
	r.mu.RLock()
	cg, last := r.cgroups[ino], r.lastWalk
	r.mu.RUnlock()
	if cg != nil || time.Since(last) < r.cfg.RescanInterval {
		return cg
	}
	if err := r.walkLocked(ctx); err != nil {
		r.cfg.Logger.Debug("container: cgroup walk failed", "err", err)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cgroups[ino]
}

// walk walks the hierarchy now.
func (r *Resolver) walk(ctx context.Context) error {
	r.walkMu.Lock()
	defer r.walkMu.Unlock()
	return r.walkLocked(ctx)
}

// walkLocked records every cgroup directory; walkMu is held. Directories
// that vanished are kept Config.Linger, for late events.
func (r *Resolver) walkLocked(ctx context.Context) error {
	dirs, err := walkCgroups(ctx, r.mount, r.root)
	if err != nil && len(dirs) == 0 {
		return err
	}
	r.walks.Add(1)
	now := time.Now()
	seen := make(map[uint64]bool, len(dirs))
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range dirs {
		seen[d.inode] = true
		if e := r.cgroups[d.inode]; e != nil && e.path == d.path {
			e.gone = time.Time{}
			continue
		}
		r.addCgroupLocked(d.inode, d.path)
	}
	for ino, e := range r.cgroups {
		if seen[ino] {
			continue
		}
		if e.gone.IsZero() {
			e.gone = now
		} else if now.Sub(e.gone) > r.cfg.Linger {
			delete(r.cgroups, ino)
		}
	}
	r.lastWalk = now
	if errors.Is(err, errWalkBudget) {
		r.cfg.Logger.Warn("container: cgroup hierarchy larger than the walk budget; the rest resolves by handle", "dirs", len(dirs))
		return nil
	}
	return err
}

func (r *Resolver) addCgroupLocked(ino uint64, path string) *cgroupEntry {
	e := &cgroupEntry{ident: ParseCgroupPath(path), path: path}
	r.cgroups[ino] = e
	if e.ident.ID != "" {
		if i := strings.LastIndexByte(path, '/'); i > 0 {
			r.parents[path[:i]] = true
		}
	}
	return e
}

// learn records the cgroup of a container that just started: first by
// looking for its directory under the parents containers were seen in,
// then by a walk.
func (r *Resolver) learn(ctx context.Context, id string) {
	r.mu.RLock()
	parents := make([]string, 0, len(r.parents))
	for p := range r.parents {
		parents = append(parents, p)
	}
	r.mu.RUnlock()
	for _, p := range parents {
		for _, name := range candidateNames(id) {
			hpath := p + "/" + name
			rel, ok := strings.CutPrefix(hpath, strings.TrimSuffix(r.root, "/"))
			if !ok {
				continue
			}
			ino, err := inode(filepath.Join(r.mount, rel))
			if err != nil {
				continue
			}
			r.mu.Lock()
			r.addCgroupLocked(ino, hpath)
			r.mu.Unlock()
			return
		}
	}
	if err := r.walk(ctx); err != nil {
		r.cfg.Logger.Debug("container: cgroup walk failed", "err", err)
	}
}

// follow keeps the Engine's event stream open until ctx ends, resuming
// after the last event seen when it breaks.
func (r *Resolver) follow(ctx context.Context, ready chan struct{}) {
	defer r.wg.Done()
	var since int64
	backoff := 100 * time.Millisecond
	signal := func() {
		r.following.Store(true)
		if ready != nil {
			close(ready)
			ready = nil
		}
	}
	for {
		started := time.Now()
		last, err := r.docker.events(ctx, since, signal, func(ev *dockerEvent) { r.handle(ctx, ev) })
		r.following.Store(false)
		if ctx.Err() != nil {
			return
		}
		if last > since {
			since = last
		} else if since == 0 {
			since = started.UnixNano()
		}
		r.apiErrors.Add(1)
		r.cfg.Logger.Warn("container: docker event stream broke; reconnecting", "err", err, "in", backoff)
		if time.Since(started) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// handle acts on one lifecycle event.
func (r *Resolver) handle(ctx context.Context, ev *dockerEvent) {
	id := ev.Actor.ID
	switch ev.Action {
	case "create":
		d := ev.draft()
		r.mu.Lock()
		if len(r.drafts) < r.cfg.MaxContainers {
			r.drafts[id] = d
		}
		r.mu.Unlock()
	case "start":
		r.learn(ctx, id)
		r.startFetch(Identity{ID: id, Runtime: RuntimeDocker})
	case "destroy":
		now := time.Now()
		r.mu.Lock()
		e := r.containers[id]
		if e == nil {
			if d := r.drafts[id]; d != nil {
				e = &containerEntry{c: d, at: now}
				e.used.Store(r.clock.Add(1))
				r.containers[id] = e
			}
		}
		if e != nil {
			e.destroyed = now
		} else if r.pending[id] != nil {
			r.removed[id] = now
		}
		// Its cgroups are gone too; they go Config.Linger from now.
		for _, cg := range r.cgroups {
			if cg.ident.ID == id && cg.gone.IsZero() {
				cg.gone = now
			}
		}
		delete(r.drafts, id)
		r.pruneLocked(now)
		r.mu.Unlock()
	}
}
