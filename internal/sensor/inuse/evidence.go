// Package inuse records which files of an image's containers were actually
// executed, mapped or read at run time, writes that record as a runtime
// evidence file, and joins it with the image's package inventory to say
// which packages are in use. `pave scan --runtime-evidence` uses the join to
// set Signals.InUse on every finding that names a package, so the
// vulnerabilities in code that really runs come first.
//
// The Recorder consumes the runtime sensor's events (internal/sensor/event);
// the evidence format is documented in docs/runtime-evidence.md.
package inuse

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/jsonfile"
)

// Schema is the version string of the evidence file format.
const Schema = "pave.runtime-evidence/v1"

// Limits on what a file may hold; a hand-edited or hostile file beyond them
// is an error, never a partial read.
const (
	maxFileBytes     = 64 << 20
	maxImages        = 4096
	maxFilesPerImage = 1 << 18
	maxContainers    = 1 << 16
	maxPathLen       = 4096
)

// Evidence is one evidence file: what a sensor run saw, per image.
type Evidence struct {
	Schema string  `json:"schema"`
	Images []Image `json:"images"`
}

// Image is the evidence for the containers of one image.
type Image struct {
	// Refs are the references the containers were started from, sorted.
	Refs []string `json:"refs,omitempty"`
	// Digest is the repository (manifest) digest, "sha256:…", when the
	// runtime knew it; ID is the image (config) digest. At least one is set.
	Digest string `json:"digest,omitempty"`
	ID     string `json:"id,omitempty"`
	// Window is the time of the first and last event recorded.
	Window Window `json:"window"`
	// Events counts the events that contributed to Files.
	Events uint64 `json:"events"`
	// Dropped counts distinct files not recorded because the per-image
	// limit was reached; the evidence is then incomplete.
	Dropped    uint64      `json:"dropped,omitempty"`
	Containers []Container `json:"containers"`
	Files      []File      `json:"files"`
}

// Window is a time span.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Container is one container that ran the image during the window.
type Container struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// File is one path, as seen inside the container, with how often it was
// executed, mapped executable and opened for reading.
type File struct {
	Path string `json:"path"`
	Exec uint64 `json:"exec,omitempty"`
	Mmap uint64 `json:"mmap,omitempty"`
	Open uint64 `json:"open,omitempty"`
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Parse reads and validates an evidence document. name is used in error
// messages only. Errors are one line and name the offending field.
func Parse(name string, data []byte) (*Evidence, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("inuse: %s: larger than %d bytes", name, maxFileBytes)
	}
	var ev Evidence
	if err := jsonfile.Decode(data, &ev); err != nil {
		return nil, fmt.Errorf("inuse: %s: %w", name, err)
	}
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("inuse: %s: %w", name, err)
	}
	return &ev, nil
}

// ReadFile reads and validates the evidence file at name.
func ReadFile(name string) (*Evidence, error) {
	data, err := jsonfile.Read(name, maxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("inuse: %w", err)
	}
	return Parse(name, data)
}

// Validate checks the document's invariants: the schema, digests of the
// form sha256:<64 hex>, absolute clean paths listed once and sorted,
// counts that say how the file was used, and the limits.
func (ev *Evidence) Validate() error {
	if ev.Schema != Schema {
		return fmt.Errorf("schema is %q, want %q", ev.Schema, Schema)
	}
	if len(ev.Images) > maxImages {
		return fmt.Errorf("%d images, at most %d", len(ev.Images), maxImages)
	}
	seen := map[string]int{}
	for i := range ev.Images {
		im := &ev.Images[i]
		at := fmt.Sprintf("images[%d]", i)
		if im.Digest == "" && im.ID == "" {
			return fmt.Errorf("%s: neither digest nor id is set", at)
		}
		for _, d := range [...][2]string{{"digest", im.Digest}, {"id", im.ID}} {
			if d[1] != "" && !digestRE.MatchString(d[1]) {
				return fmt.Errorf("%s.%s: %q is not sha256:<64 hex digits>", at, d[0], clip(d[1]))
			}
		}
		if j, dup := seen[im.key()]; dup {
			return fmt.Errorf("%s: same image as images[%d]", at, j)
		}
		seen[im.key()] = i
		if im.Window.End.Before(im.Window.Start) {
			return fmt.Errorf("%s.window: end is before start", at)
		}
		if len(im.Files) > maxFilesPerImage || len(im.Containers) > maxContainers {
			return fmt.Errorf("%s: more than %d files or %d containers", at, maxFilesPerImage, maxContainers)
		}
		for j, c := range im.Containers {
			if c.ID == "" || strings.ContainsAny(c.ID, "\n\r") {
				return fmt.Errorf("%s.containers[%d].id: empty or not one line", at, j)
			}
		}
		for j, f := range im.Files {
			if err := checkPath(f.Path); err != nil {
				return fmt.Errorf("%s.files[%d].path: %w", at, j, err)
			}
			if f.Exec == 0 && f.Mmap == 0 && f.Open == 0 {
				return fmt.Errorf("%s.files[%d]: %s has no exec, mmap or open count", at, j, clip(f.Path))
			}
			if j > 0 && im.Files[j-1].Path >= f.Path {
				return fmt.Errorf("%s.files[%d].path: %s is not after %s (paths are sorted and listed once)", at, j, clip(f.Path), clip(im.Files[j-1].Path))
			}
		}
	}
	return nil
}

// checkPath accepts an absolute, clean, one-line path.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty")
	case len(p) > maxPathLen:
		return fmt.Errorf("longer than %d bytes", maxPathLen)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q is not absolute", clip(p))
	case path.Clean(p) != p:
		return fmt.Errorf("%q is not clean (want %q)", clip(p), clip(path.Clean(p)))
	case strings.ContainsAny(p, "\x00\n\r"):
		return fmt.Errorf("%q has a NUL or line break", clip(p))
	}
	return nil
}

// key identifies an image in a document: the config digest when known,
// else the manifest digest.
func (im *Image) key() string {
	if im.ID != "" {
		return im.ID
	}
	return im.Digest
}

// Matches reports whether im is the image with the given manifest digest
// or image (config) id; either may be empty. A repository digest written
// as "name@sha256:…" is compared by its digest.
func (im *Image) Matches(digest, id string) bool {
	digest = bareDigest(digest)
	id = bareDigest(id)
	for _, have := range []string{im.Digest, im.ID} {
		if have != "" && (have == digest || have == id) {
			return true
		}
	}
	return false
}

// Find returns the image in ev matching digest or id (see Image.Matches).
func (ev *Evidence) Find(digest, id string) (*Image, bool) {
	for i := range ev.Images {
		if ev.Images[i].Matches(digest, id) {
			return &ev.Images[i], true
		}
	}
	return nil, false
}

// Names lists the images in ev for an error message: a ref and digest each.
func (ev *Evidence) Names() string {
	var names []string
	for _, im := range ev.Images {
		n := im.key()
		if len(im.Refs) > 0 {
			n = im.Refs[0] + " " + n
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func bareDigest(d string) string {
	if i := strings.LastIndex(d, "@"); i >= 0 {
		return d[i+1:]
	}
	return d
}

// Marshal writes ev as indented JSON with a final newline, images sorted
// by key and every list sorted, so that files diff well.
func (ev *Evidence) Marshal() ([]byte, error) {
	out := ev.sorted()
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("inuse: marshal: %w", err)
	}
	return append(b, '\n'), nil
}

// sorted returns a copy of ev with images and every list sorted and no
// nil lists.
func (ev *Evidence) sorted() *Evidence {
	out := *ev
	out.Images = slices.Clone(ev.Images)
	slices.SortFunc(out.Images, func(a, b Image) int { return strings.Compare(a.key(), b.key()) })
	for i := range out.Images {
		im := &out.Images[i]
		im.Refs = slices.Compact(slices.Sorted(slices.Values(im.Refs)))
		im.Containers = slices.Clone(im.Containers)
		slices.SortFunc(im.Containers, func(a, b Container) int { return strings.Compare(a.ID, b.ID) })
		if im.Containers == nil {
			im.Containers = []Container{}
		}
		im.Files = slices.Clone(im.Files)
		slices.SortFunc(im.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
		if im.Files == nil {
			im.Files = []File{}
		}
	}
	if out.Images == nil {
		out.Images = []Image{}
	}
	return &out
}

// WriteFile writes ev to name atomically: a temporary file in the same
// directory, renamed into place, so a reader never sees half a file.
func (ev *Evidence) WriteFile(name string) error {
	b, err := ev.Marshal()
	if err != nil {
		return err
	}
	if err := jsonfile.WriteAtomic(name, b); err != nil {
		return fmt.Errorf("inuse: %w", err)
	}
	return nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
