package inuse

import (
	"path"
	"strings"
	"sync"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/event"
)

// Recorder collects, per image, the files its containers executed, mapped
// and opened for reading. It implements event.Analyzer (it never returns a
// finding), so the pipeline can feed it like any other analyzer. Its
// methods are safe to call from several goroutines: the pipeline observes
// while a flush may write.
type Recorder struct {
	mu      sync.Mutex
	images  map[string]*imageRec
	byRaw   map[[2]string]*imageRec // (ImageID, ImageDigest) as events give them
	limit   int
	ignored uint64
}

var _ event.Analyzer = (*Recorder)(nil)

type imageRec struct {
	img        Image
	refs       map[string]bool
	containers map[string]string // id → name
	files      map[string]*File
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{images: map[string]*imageRec{}, byRaw: map[[2]string]*imageRec{}, limit: maxFilesPerImage}
}

// Analyze implements event.Analyzer: it records ev and returns no finding.
func (r *Recorder) Analyze(ev *event.Event) []finding.Finding {
	r.Observe(ev)
	return nil
}

// Observe records ev when it shows a container using a file: an exec
// (Proc.Exe), an executable mapping (File.Path) or an open for reading
// (File.Path). Failed calls, host events, events of containers whose image
// is not known (no image id or digest) and pseudo paths (/proc/self/exe,
// memfd) are not recorded; Ignored counts the container events dropped
// for want of an image.
func (r *Recorder) Observe(ev *event.Event) {
	p, kind := usedPath(ev)
	if p == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := ev.Container
	if ev.Host || c == nil {
		if !ev.Host {
			r.ignored++
		}
		return
	}
	im := r.imageLocked(c)
	if im == nil {
		r.ignored++
		return
	}
	if c.Image != "" {
		im.refs[c.Image] = true
	}
	if _, ok := im.containers[c.ID]; c.ID != "" && !strings.ContainsAny(c.ID+c.Name, "\n\r") && (!ok || c.Name != "") {
		im.containers[c.ID] = c.Name
	}
	if t := ev.Time; !t.IsZero() {
		if im.img.Window.Start.IsZero() || t.Before(im.img.Window.Start) {
			im.img.Window.Start = t
		}
		if t.After(im.img.Window.End) {
			im.img.Window.End = t
		}
	}
	f := im.files[p]
	if f == nil {
		if len(im.files) >= r.limit {
			im.img.Dropped++
			return
		}
		f = &File{Path: p}
		im.files[p] = f
	}
	im.img.Events++
	switch kind {
	case event.Exec:
		f.Exec++
	case event.Mmap:
		f.Mmap++
	default:
		f.Open++
	}
}

// Ignored is the number of container events that showed a file in use but
// were dropped because the container's image was not known.
func (r *Recorder) Ignored() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ignored
}

// imageLocked returns the record of c's image, keyed by the image id
// (config digest) when known, else the repository digest; nil when
// neither is a sha256 digest.
func (r *Recorder) imageLocked(c *event.Container) *imageRec {
	raw := [2]string{c.ImageID, c.ImageDigest}
	if im, ok := r.byRaw[raw]; ok {
		return im
	}
	im := r.newImageLocked(c)
	if len(r.byRaw) < maxImages {
		r.byRaw[raw] = im
	}
	return im
}

func (r *Recorder) newImageLocked(c *event.Container) *imageRec {
	id, digest := bareDigest(c.ImageID), bareDigest(c.ImageDigest)
	if !digestRE.MatchString(id) {
		id = ""
	}
	if !digestRE.MatchString(digest) {
		digest = ""
	}
	key := id
	if key == "" {
		key = digest
	}
	if key == "" {
		return nil
	}
	im := r.images[key]
	if im == nil {
		if len(r.images) >= maxImages {
			return nil
		}
		im = &imageRec{img: Image{ID: id, Digest: digest}, refs: map[string]bool{},
			containers: map[string]string{}, files: map[string]*File{}}
		r.images[key] = im
	}
	if im.img.Digest == "" {
		im.img.Digest = digest
	}
	return im
}

// usedPath is the path ev shows in use and how, or "".
func usedPath(ev *event.Event) (string, event.Type) {
	if ev.Ret < 0 {
		return "", ""
	}
	var p string
	switch ev.Type {
	case event.Exec:
		p = ev.Proc.Exe
		if p != "" && !strings.HasPrefix(p, "/") && strings.HasPrefix(ev.Proc.Cwd, "/") {
			p = ev.Proc.Cwd + "/" + p
		}
	case event.Mmap:
		if ev.File != nil {
			p = ev.File.Path
		}
	case event.Open:
		if ev.File != nil && !ev.File.Write {
			p = ev.File.Path
		}
	default:
		return "", ""
	}
	p = strings.TrimSuffix(p, " (deleted)")
	if !strings.HasPrefix(p, "/") || len(p) > maxPathLen || strings.ContainsAny(p, "\x00\n\r") {
		return "", ""
	}
	p = path.Clean(p)
	if strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/memfd:") || strings.HasPrefix(p, "/dev/") {
		return "", ""
	}
	return p, ev.Type
}

// Evidence returns what was recorded so far, as a document.
func (r *Recorder) Evidence() *Evidence {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := &Evidence{Schema: Schema, Images: []Image{}}
	for _, im := range r.images {
		img := im.img
		for ref := range im.refs {
			img.Refs = append(img.Refs, ref)
		}
		for id, name := range im.containers {
			img.Containers = append(img.Containers, Container{ID: id, Name: name})
		}
		for _, f := range im.files {
			img.Files = append(img.Files, *f)
		}
		ev.Images = append(ev.Images, img)
	}
	return ev.sorted()
}

// WriteFile writes the evidence recorded so far to name, atomically.
func (r *Recorder) WriteFile(name string) error {
	return r.Evidence().WriteFile(name)
}
