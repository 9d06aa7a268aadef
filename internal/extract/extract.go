// Package extract turns files into packages. An Extractor claims files by
// path and metadata alone (Match, no I/O) and parses one file at a time
// (Extract). The Runner walks a source once, streaming every layer, hands
// each claimed file to its extractors, and owns concurrency, limits,
// ordering and file errors. Extractors start no goroutines.
package extract

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/pavesec/pave/internal/inventory"
)

// Extractor finds packages in files of one format.
type Extractor interface {
	// Name is stable and path-like: "os/dpkg", "javascript/packagelock".
	Name() string
	// Version increases whenever the extractor's output changes for the
	// same input.
	Version() int
	// Match reports whether the file at path (slash-separated, relative to
	// the root) is one this extractor reads. It must be cheap: no I/O.
	Match(path string, info fs.FileInfo) bool
	// Extract parses in. It may return packages and an error together; the
	// runner keeps the packages, records a located file error and marks the
	// scan partial. Returned locations may be empty or hold only a Line: the
	// runner fills in the path and layer.
	Extract(ctx context.Context, in *Input) ([]inventory.Package, error)
}

// Input is one file handed to an extractor.
type Input struct {
	// Path is slash-separated and relative to the root: "var/lib/dpkg/status".
	Path string
	Info fs.FileInfo
	// Reader holds the whole file; Size is its length.
	Reader ReaderAt
	Size   int64
	// Layer is the layer that wrote this version of the file (nil for
	// directories).
	Layer *inventory.Layer
}

// ReaderAt is the file content: read it once from the start, or at offsets.
type ReaderAt interface {
	io.Reader
	io.ReaderAt
}

// Finisher is an optional interface for an extractor that needs, after the
// walk, small files other than those it extracts (dpkg's per-package file
// lists, say). The runner keeps the content of files Wants claims (up to
// the runner's small-file limit) in the merged view handed to Finish, which
// may amend the packages the extractor returned.
type Finisher interface {
	Wants(path string) bool
	Finish(ctx context.Context, view fs.FS, pkgs []*inventory.Package) error
}

// FileError is a located failure to read one file. It never stops a scan.
type FileError struct {
	Path      string `json:"path"`
	Layer     int    `json:"layer"` // -1 outside images
	Extractor string `json:"extractor,omitempty"`
	Err       error  `json:"-"`
	Message   string `json:"error"`
}

func (e *FileError) Error() string {
	if e.Extractor != "" {
		return fmt.Sprintf("%s: %s: %v", e.Extractor, e.Path, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }
