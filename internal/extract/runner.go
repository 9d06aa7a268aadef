package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/artifact/layers"
	"github.com/pavesec/pave/internal/inventory"
)

// Config configures a Runner. Zero fields take defaults.
type Config struct {
	Extractors []Extractor
	// Workers bounds concurrent layer walks and concurrent extractions
	// (each). Default: GOMAXPROCS.
	Workers int
	// MaxFileSize is the largest file handed to an extractor; a larger
	// claimed file is a file error. Default 2 GiB.
	MaxFileSize int64
	// MemoryFileSize is the largest file held in memory for an extractor;
	// larger ones are spooled to TempDir. Default 128 MiB.
	MemoryFileSize int64
	// InFlightBytes bounds memory held by files waiting for or under
	// extraction. Default 512 MiB.
	InFlightBytes int64
	// SmallFileSize is the largest file kept in the merged view for a
	// Finisher or for Retain. Default 4 MiB.
	SmallFileSize int64
	// Retain claims more small files to keep in the view (os-release, say).
	Retain func(path string) bool
	// TempDir receives spooled files, removed as soon as they are parsed.
	TempDir string
	// MaxEntries bounds the entries of all layers together.
	MaxEntries int
	// Progress, when set, is called as layers are walked.
	Progress func(Progress)
}

// Progress reports the walk.
type Progress struct {
	Layer, Layers int   // the layer just finished (1-based) and how many
	Entries       int64 // entries seen so far, all layers
	Done          bool  // this layer is finished
}

// Result is what a run found.
type Result struct {
	Layers   []inventory.Layer
	Packages []inventory.Package // in extraction order; not merged
	Errors   []FileError         // sorted by path
	// View is the merged file tree; content is kept only for files claimed
	// by Finishers and Retain.
	View *layers.Tree
	// Entries counts the entries read in all layers.
	Entries int64
}

// Partial reports whether some file could not be read.
func (r *Result) Partial() bool { return len(r.Errors) > 0 }

// Runner walks sources and runs extractors over them.
type Runner struct{ cfg Config }

// NewRunner returns a runner for cfg.
func NewRunner(cfg Config) *Runner {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 2 << 30
	}
	if cfg.MemoryFileSize <= 0 {
		cfg.MemoryFileSize = 128 << 20
	}
	if cfg.InFlightBytes <= 0 {
		cfg.InFlightBytes = 512 << 20
	}
	if cfg.InFlightBytes < cfg.MemoryFileSize {
		cfg.InFlightBytes = cfg.MemoryFileSize
	}
	if cfg.SmallFileSize <= 0 {
		cfg.SmallFileSize = 4 << 20
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = artifact.DefaultLimits.MaxEntries
	}
	return &Runner{cfg: cfg}
}

// ErrTooManyEntries: the source holds more entries than MaxEntries.
var ErrTooManyEntries = errors.New("too many entries")

type job struct {
	layer   int
	path    string
	info    fs.FileInfo
	claimed []Extractor
	r       ReaderAt
	size    int64
	release func() // returns memory, closes and removes spooled files
}

type extracted struct {
	layer int
	path  string
	ext   Extractor
	pkgs  []inventory.Package
}

type keyLP struct {
	layer int
	path  string
}

type pendingLink struct {
	path, target string
	info         fs.FileInfo
	claimed      []Extractor
	small        bool
}

// run state shared by walkers and workers.
type runState struct {
	r       *Runner
	infos   []inventory.Layer
	records [][]artifact.Entry
	mem     *semaphore.Weighted
	entries atomic.Int64

	mu      sync.Mutex
	results []extracted
	errs    []FileError
	small   map[keyLP][]byte
	pending map[int][]pendingLink
}

// Run walks src once and returns what the extractors found. Only a failure
// to read the source itself is an error; a file that cannot be parsed is a
// FileError in the result.
func (r *Runner) Run(ctx context.Context, src artifact.Source) (*Result, error) {
	lays, err := src.Layers(ctx)
	if err != nil {
		return nil, err
	}
	st := &runState{
		r:       r,
		infos:   make([]inventory.Layer, len(lays)),
		records: make([][]artifact.Entry, len(lays)),
		mem:     semaphore.NewWeighted(r.cfg.InFlightBytes),
		small:   map[keyLP][]byte{},
		pending: map[int][]pendingLink{},
	}
	for i, l := range lays {
		st.infos[i] = l.Info()
		st.infos[i].Index = i
	}

	jobs := make(chan job)
	workers, wctx := errgroup.WithContext(ctx)
	for range r.cfg.Workers {
		workers.Go(func() error {
			for j := range jobs {
				st.extract(wctx, j)
			}
			return nil
		})
	}
	walkers, gctx := errgroup.WithContext(ctx)
	walkers.SetLimit(r.cfg.Workers)
	var done atomic.Int32
	for i, l := range lays {
		walkers.Go(func() error {
			if err := st.walk(gctx, i, l, jobs); err != nil {
				return fmt.Errorf("layer %d (%s): %w", i+1, layerName(st.infos[i]), err)
			}
			if r.cfg.Progress != nil {
				r.cfg.Progress(Progress{Layer: int(done.Add(1)), Layers: len(lays), Entries: st.entries.Load(), Done: true})
			}
			return nil
		})
	}
	werr := walkers.Wait()
	close(jobs)
	_ = workers.Wait()
	if werr != nil {
		return nil, werr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	tree := layers.Merge(st.records)
	for k, data := range st.small {
		tree.Retain(k.path, k.layer, data)
	}
	if err := st.resolveHardlinks(ctx, lays, tree); err != nil {
		return nil, err
	}
	res := &Result{View: tree, Entries: st.entries.Load()}
	if lays0IsImage(st.infos) {
		res.Layers = st.infos
	}
	res.Packages = st.survivors(tree)
	if err := st.finish(ctx, tree, res); err != nil {
		return nil, err
	}
	res.Errors = st.survivingErrors(tree)
	return res, nil
}

func lays0IsImage(infos []inventory.Layer) bool {
	return len(infos) > 0 && (infos[0].Digest != "" || infos[0].DiffID != "")
}

func layerName(l inventory.Layer) string {
	if l.DiffID != "" {
		return l.DiffID
	}
	if l.Digest != "" {
		return l.Digest
	}
	return "root"
}

func (st *runState) claim(p string, info fs.FileInfo) (claimed []Extractor, small bool) {
	for _, e := range st.r.cfg.Extractors {
		if e.Match(p, info) {
			claimed = append(claimed, e)
		}
		if f, ok := e.(Finisher); ok && f.Wants(p) {
			small = true
		}
	}
	if st.r.cfg.Retain != nil && st.r.cfg.Retain(p) {
		small = true
	}
	small = small && info.Size() <= st.r.cfg.SmallFileSize
	return claimed, small
}

func (st *runState) fileError(layer int, p string, ext Extractor, err error) {
	fe := FileError{Path: p, Layer: layer, Err: err, Message: err.Error()}
	if ext != nil {
		fe.Extractor = ext.Name()
	}
	st.mu.Lock()
	st.errs = append(st.errs, fe)
	st.mu.Unlock()
}

func (st *runState) walk(ctx context.Context, i int, l artifact.Layer, jobs chan<- job) error {
	var recs []artifact.Entry
	err := l.Walk(ctx, func(e *artifact.Entry) error {
		if n := st.entries.Add(1); n > int64(st.r.cfg.MaxEntries) {
			return fmt.Errorf("more than %d entries: %w", st.r.cfg.MaxEntries, errors.Join(ErrTooManyEntries, artifact.ErrHostile))
		}
		recs = append(recs, e.Metadata())
		if e.Whiteout != artifact.NoWhiteout || !e.Mode.IsRegular() {
			return nil
		}
		info := e.Info()
		claimed, small := st.claim(e.Path, info)
		if len(claimed) == 0 && !small {
			return nil
		}
		if e.Hardlink {
			st.mu.Lock()
			st.pending[i] = append(st.pending[i], pendingLink{path: e.Path, target: e.Linkname, info: info, claimed: claimed, small: small})
			st.mu.Unlock()
			return nil
		}
		return st.dispatch(ctx, i, e.Path, info, e.Size, e.Open, claimed, small, jobs)
	})
	st.records[i] = recs
	return err
}

// dispatch reads one claimed file and queues it for extraction.
func (st *runState) dispatch(ctx context.Context, layer int, p string, info fs.FileInfo, size int64,
	open func() (io.ReadCloser, error), claimed []Extractor, small bool, jobs chan<- job) error {
	cfg := &st.r.cfg
	if size > cfg.MaxFileSize {
		for _, ext := range claimed {
			st.fileError(layer, p, ext, fmt.Errorf("file of %d bytes is over the %d-byte limit", size, cfg.MaxFileSize))
		}
		return nil
	}
	rc, err := open()
	if err != nil {
		st.fileError(layer, p, nil, err)
		return nil
	}
	// A file on disk (directory sources) is read in place by the worker.
	if f, ok := rc.(*os.File); ok && !small {
		if len(claimed) == 0 {
			return f.Close()
		}
		return send(ctx, jobs, job{layer: layer, path: p, info: info, claimed: claimed, r: f, size: size, release: func() { f.Close() }})
	}
	defer rc.Close()
	if size > cfg.MemoryFileSize {
		return st.spool(ctx, layer, p, info, size, rc, claimed, jobs)
	}
	if err := st.mem.Acquire(ctx, max(size, 1)); err != nil {
		return err
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(rc, buf); err != nil {
		st.mem.Release(max(size, 1))
		return fmt.Errorf("read %s: %w", p, err)
	}
	if small {
		st.mu.Lock()
		st.small[keyLP{layer, p}] = buf
		st.mu.Unlock()
	}
	if len(claimed) == 0 {
		st.mem.Release(max(size, 1))
		return nil
	}
	return send(ctx, jobs, job{layer: layer, path: p, info: info, claimed: claimed, r: newBytesReader(buf), size: size,
		release: func() { st.mem.Release(max(size, 1)) }})
}

func (st *runState) spool(ctx context.Context, layer int, p string, info fs.FileInfo, size int64, rc io.Reader, claimed []Extractor, jobs chan<- job) error {
	f, err := os.CreateTemp(st.r.cfg.TempDir, "pave-spool-*")
	if err != nil {
		return fmt.Errorf("spool %s: %w", p, err)
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, io.LimitReader(rc, size+1))
	if err != nil || n != size {
		cleanup()
		if err == nil {
			err = fmt.Errorf("size changed while reading (%d of %d bytes)", n, size)
		}
		return fmt.Errorf("spool %s: %w", p, err)
	}
	return send(ctx, jobs, job{layer: layer, path: p, info: info, claimed: claimed, r: f, size: size, release: cleanup})
}

func send(ctx context.Context, jobs chan<- job, j job) error {
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		j.release()
		return ctx.Err()
	}
}

func (st *runState) extract(ctx context.Context, j job) {
	defer j.release()
	var lay *inventory.Layer
	if lays0IsImage(st.infos) {
		l := st.infos[j.layer]
		lay = &l
	}
	for _, ext := range j.claimed {
		if ctx.Err() != nil {
			return
		}
		var r ReaderAt = j.r
		if sr, ok := j.r.(io.Seeker); ok {
			if _, err := sr.Seek(0, io.SeekStart); err != nil {
				st.fileError(j.layer, j.path, ext, err)
				continue
			}
		} else {
			r = io.NewSectionReader(j.r, 0, j.size)
		}
		pkgs, err := safeExtract(ctx, ext, &Input{Path: j.path, Info: j.info, Reader: r, Size: j.size, Layer: lay})
		if err != nil {
			st.fileError(j.layer, j.path, ext, err)
		}
		if len(pkgs) == 0 {
			continue
		}
		for k := range pkgs {
			p := &pkgs[k]
			p.Extractor = ext.Name()
			if len(p.Locations) == 0 {
				p.Locations = []inventory.Location{{}}
			}
			for m := range p.Locations {
				if p.Locations[m].Path == "" {
					p.Locations[m].Path = j.path
				}
				p.Locations[m].Layer = lay
			}
		}
		st.mu.Lock()
		st.results = append(st.results, extracted{layer: j.layer, path: j.path, ext: ext, pkgs: pkgs})
		st.mu.Unlock()
	}
}

// safeExtract turns an extractor panic into a file error: one bad parser
// must not take the scan down.
func safeExtract(ctx context.Context, ext Extractor, in *Input) (pkgs []inventory.Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("internal error in extractor: %v", r)
		}
	}()
	return ext.Extract(ctx, in)
}

// resolveHardlinks re-reads the targets of claimed hard links that survive
// the merge, so a package reached only through a hard link is not lost.
func (st *runState) resolveHardlinks(ctx context.Context, lays []artifact.Layer, tree *layers.Tree) error {
	for i, links := range st.pending {
		want := map[string][]pendingLink{}
		for _, pl := range links {
			if tree.Origin(pl.path) == i {
				want[pl.target] = append(want[pl.target], pl)
			}
		}
		if len(want) == 0 {
			continue
		}
		jobs := make(chan job)
		var wg sync.WaitGroup
		wg.Go(func() {
			for j := range jobs {
				st.extract(ctx, j)
			}
		})
		err := lays[i].Walk(ctx, func(e *artifact.Entry) error {
			pls := want[e.Path]
			if len(pls) == 0 || !e.Mode.IsRegular() || e.Hardlink {
				return nil
			}
			open := e.Open
			if len(pls) > 1 {
				// A stream entry's content can be read once: several links
				// to one target share one copy.
				if e.Size > st.r.cfg.MemoryFileSize {
					for _, pl := range pls[1:] {
						st.fileError(i, pl.path, nil, fmt.Errorf("hard link to %s: a %d-byte target linked %d times is read for its first link only", e.Path, e.Size, len(pls)))
					}
					pls = pls[:1]
				} else {
					rc, err := e.Open()
					if err != nil {
						return err
					}
					data, err := io.ReadAll(io.LimitReader(rc, e.Size))
					rc.Close()
					if err != nil {
						return fmt.Errorf("read %s: %w", e.Path, err)
					}
					open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
				}
			}
			for _, pl := range pls {
				if err := st.dispatch(ctx, i, pl.path, pl.info, e.Size, open, pl.claimed, pl.small, jobs); err != nil {
					return err
				}
			}
			return nil
		})
		close(jobs)
		wg.Wait()
		if err != nil {
			return fmt.Errorf("layer %d: hard links: %w", i+1, err)
		}
		for k, data := range st.small {
			if k.layer == i {
				tree.Retain(k.path, k.layer, data)
			}
		}
	}
	return nil
}

// survivors keeps the packages from file versions visible in the merged
// tree: a file overwritten or deleted by a later layer no longer counts.
//
// A package database is rewritten by every layer that installs something
// (dpkg's status, a lockfile), so the visible version's layer is not the
// one that introduced most of its packages. Each package is attributed to
// the lowest layer from which every version of the same file, up to the
// visible one, lists it.
func (st *runState) survivors(tree *layers.Tree) []inventory.Package {
	slices.SortFunc(st.results, func(a, b extracted) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		if c := strings.Compare(a.ext.Name(), b.ext.Name()); c != 0 {
			return c
		}
		return a.layer - b.layer
	})
	var out []inventory.Package
	for i := 0; i < len(st.results); {
		j := i + 1
		for j < len(st.results) && st.results[j].path == st.results[i].path && st.results[j].ext.Name() == st.results[i].ext.Name() {
			j++
		}
		group := st.results[i:j] // one file, one extractor, by layer
		i = j
		top := group[len(group)-1]
		if len(st.records) > 1 && tree.Origin(top.path) != top.layer {
			continue
		}
		var lower []map[pkgKey]bool // the keys each lower version lists, built once
		if len(group) > 1 {
			lower = make([]map[pkgKey]bool, len(group)-1)
			for k, x := range group[:len(group)-1] {
				lower[k] = make(map[pkgKey]bool, len(x.pkgs))
				for _, q := range x.pkgs {
					lower[k][keyOf(q)] = true
				}
			}
		}
		for _, p := range top.pkgs {
			if len(group) > 1 {
				if intro := introducedIn(group, lower, keyOf(p)); intro != top.layer {
					l := st.infos[intro]
					for m := range p.Locations {
						p.Locations[m].Layer = &l
					}
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// pkgKey identifies a package across versions of one file.
type pkgKey struct {
	name, version, arch string
	eco                 inventory.Ecosystem
}

func keyOf(p inventory.Package) pkgKey {
	return pkgKey{name: p.Name, version: p.Version, arch: p.Arch, eco: p.Ecosystem}
}

// introducedIn walks down the versions of one file (group, sorted by
// layer; lower[k] holds the keys group[k] lists) while each still lists
// key, and returns the lowest such layer.
func introducedIn(group []extracted, lower []map[pkgKey]bool, key pkgKey) int {
	intro := group[len(group)-1].layer
	for k := len(group) - 2; k >= 0 && lower[k][key]; k-- {
		intro = group[k].layer
	}
	return intro
}

func (st *runState) survivingErrors(tree *layers.Tree) []FileError {
	var out []FileError
	for _, e := range st.errs {
		if len(st.records) > 1 && tree.Origin(e.Path) != e.Layer {
			continue
		}
		if !lays0IsImage(st.infos) {
			e.Layer = -1
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b FileError) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Extractor, b.Extractor)
	})
	return out
}

// finish hands each Finisher the packages it extracted and the view.
func (st *runState) finish(ctx context.Context, tree *layers.Tree, res *Result) error {
	for _, ext := range st.r.cfg.Extractors {
		f, ok := ext.(Finisher)
		if !ok {
			continue
		}
		var mine []*inventory.Package
		for k := range res.Packages {
			if res.Packages[k].Extractor == ext.Name() {
				mine = append(mine, &res.Packages[k])
			}
		}
		if err := f.Finish(ctx, tree, mine); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			st.fileError(-1, ".", ext, err)
		}
	}
	return nil
}
