// Package artifact opens what pave scans — container images in every form
// they travel in, root filesystems and plain directories — and presents each
// as an ordered list of layers whose entries can be streamed once.
//
// A directory is a source with one layer. An image's layers are streamed in
// parallel by the extract runner; package layers merges them, applying
// whiteouts, into one view. Nothing is ever unpacked to disk.
package artifact

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/inventory"
)

// Kind is the form a source came in.
type Kind string

// The kinds of source.
const (
	DockerArchive Kind = "docker-archive" // `docker save` tarball
	OCILayout     Kind = "oci-layout"     // OCI image layout directory
	OCIArchive    Kind = "oci-archive"    // tar of an OCI image layout
	Daemon        Kind = "docker"         // image in the local Docker engine
	Registry      Kind = "registry"       // image in a remote registry
	RootFS        Kind = "rootfs"         // unpacked root filesystem directory
	Dir           Kind = "dir"            // plain project directory
)

// IsImage reports whether k is a container image form.
func (k Kind) IsImage() bool { return k != RootFS && k != Dir && k != "" }

// Ref describes an opened source.
type Ref struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name"` // what the user gave, without the prefix
	// Digest is the manifest digest when known ("sha256:…").
	Digest string `json:"digest,omitempty"`
	// ImageID is the config digest, Docker's image ID.
	ImageID  string   `json:"imageID,omitempty"`
	Platform string   `json:"platform,omitempty"` // "linux/amd64"
	RepoTags []string `json:"repoTags,omitempty"`
}

// Source is something to scan.
type Source interface {
	Ref() Ref
	// Layers returns the source's layers, base first. A directory has one.
	Layers(ctx context.Context) ([]Layer, error)
	// Close releases temporary files and connections.
	Close() error
}

// Configured is implemented by image sources: the image configuration
// (user, environment, history, ...).
type Configured interface {
	Config() *v1.ConfigFile
}

// Layer is one layer of a source.
type Layer interface {
	Info() inventory.Layer
	// Walk streams the layer's entries in archive order. Each entry's
	// content may be read from inside fn only, unless Open returns a reader
	// that also implements io.ReaderAt, which then stays valid until closed.
	// Walk may be called more than once. Paths are cleaned and never escape
	// the root: hostile names are refused with an error wrapping ErrHostile.
	Walk(ctx context.Context, fn func(*Entry) error) error
}

// Whiteout marks an entry that deletes from lower layers.
type Whiteout int

// Whiteout kinds (OCI image spec, "Whiteouts").
const (
	NoWhiteout     Whiteout = iota
	FileWhiteout            // ".wh.NAME": delete NAME
	OpaqueWhiteout          // ".wh..wh..opq": delete the directory's lower contents
)

// Entry is one file, directory, link or whiteout in a layer; Info gives
// it as an fs.FileInfo.
type Entry struct {
	// Path is slash-separated, cleaned, relative to the root and never "..";
	// for a whiteout it is the path deleted (or the opaque directory).
	Path     string
	Mode     fs.FileMode
	Size     int64
	Linkname string // symlink target as written, or hardlink target path (cleaned)
	Hardlink bool
	Whiteout Whiteout
	UID, GID int
	Mtime    time.Time

	open func() (io.ReadCloser, error)
}

// NewEntry returns an entry whose content is served by open (which may be
// nil for non-regular files).
func NewEntry(e Entry, open func() (io.ReadCloser, error)) *Entry {
	e.open = open
	return &e
}

// Metadata returns a copy of e without its content, safe to keep after
// the walk (a kept Entry would pin the layer's decompressor).
func (e *Entry) Metadata() Entry {
	m := *e
	m.open = nil
	return m
}

// Open returns the entry's content. It fails for anything but a regular
// file.
func (e *Entry) Open() (io.ReadCloser, error) {
	if e.open == nil || !e.Mode.IsRegular() || e.Hardlink {
		return nil, &fs.PathError{Op: "open", Path: e.Path, Err: fs.ErrInvalid}
	}
	return e.open()
}

// Info returns e as an fs.FileInfo.
func (e *Entry) Info() fs.FileInfo { return entryInfo{e} }

type entryInfo struct{ e *Entry }

func (i entryInfo) Name() string       { return path.Base(i.e.Path) }
func (i entryInfo) Size() int64        { return i.e.Size }
func (i entryInfo) Mode() fs.FileMode  { return i.e.Mode }
func (i entryInfo) ModTime() time.Time { return i.e.Mtime }
func (i entryInfo) IsDir() bool        { return i.e.Mode.IsDir() }
func (i entryInfo) Sys() any           { return i.e }

// Errors callers test for. Each maps to exit code 2 (bad input).
var (
	// ErrUnknownFormat: the target is none of the forms pave reads.
	ErrUnknownFormat = errors.New("unknown artifact format")
	// ErrNotFound: the file, image or reference does not exist.
	ErrNotFound = errors.New("not found")
	// ErrHostile: an archive tried to escape its root, loop, or exceed a
	// bound (entries, sizes, decompression ratio).
	ErrHostile = errors.New("hostile archive")
	// ErrCorrupt: the archive or image is damaged or truncated.
	ErrCorrupt = errors.New("corrupt archive")
	// ErrRefused: a daemon or registry refused the request (auth, denied).
	ErrRefused = errors.New("refused")
)
