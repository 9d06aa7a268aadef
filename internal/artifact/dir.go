package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pavesec/pave/internal/inventory"
)

// dirSource is a root filesystem or a plain directory: one layer, read in
// place through an os.Root so that no path, symlink or race escapes it.
type dirSource struct {
	ref  Ref
	root string
}

func openDir(name string, kind Kind) (*dirSource, error) {
	st, err := os.Stat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory: %w", name, ErrUnknownFormat)
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	if kind == "" {
		kind = Dir
		if looksLikeRootFS(abs) {
			kind = RootFS
		}
	}
	return &dirSource{ref: Ref{Kind: kind, Name: name}, root: abs}, nil
}

// looksLikeRootFS reports whether dir holds an operating system tree.
func looksLikeRootFS(dir string) bool {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release", "var/lib/dpkg/status", "lib/apk/db/installed", "etc/alpine-release"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			return true
		}
	}
	return false
}

func (d *dirSource) Ref() Ref     { return d.ref }
func (d *dirSource) Close() error { return nil }
func (d *dirSource) Layers(context.Context) ([]Layer, error) {
	return []Layer{&dirLayer{root: d.root}}, nil
}

type dirLayer struct{ root string }

func (l *dirLayer) Info() inventory.Layer { return inventory.Layer{Index: 0} }

// skipInRoot are kernel-provided trees to skip when scanning a live "/".
var skipInRoot = map[string]bool{"proc": true, "sys": true, "dev": true}

func (l *dirLayer) Walk(ctx context.Context, fn func(*Entry) error) error {
	root, err := os.OpenRoot(l.root)
	if err != nil {
		return err
	}
	defer root.Close()
	isSlash := l.root == "/"
	return fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			// An unreadable directory is skipped, not fatal.
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == "." {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if isSlash && d.IsDir() && skipInRoot[p] {
			return fs.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return nil // vanished
		}
		e := Entry{Path: p, Mode: info.Mode(), Size: info.Size(), Mtime: info.ModTime()}
		if info.Mode()&fs.ModeSymlink != 0 {
			if t, err := root.Readlink(p); err == nil {
				e.Linkname = t
			}
		}
		var open func() (io.ReadCloser, error)
		if info.Mode().IsRegular() {
			open = func() (io.ReadCloser, error) { return root.Open(p) }
		} else if !info.IsDir() && info.Mode()&fs.ModeSymlink == 0 {
			return nil // devices, sockets, pipes: nothing to read
		}
		return fn(NewEntry(e, open))
	})
}
