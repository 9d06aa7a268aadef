package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/safefs"
)

// imageLayer is one layer blob, opened afresh by each Walk.
type imageLayer struct {
	info  inventory.Layer
	open  func(ctx context.Context) (io.ReadCloser, error)
	lim   Limits
	tally *tally
	// verify checks the uncompressed content against DiffID.
	verify bool
}

func (l *imageLayer) Info() inventory.Layer { return l.info }

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
)

// Walk streams the layer's tar through safefs. Content read from an
// entry's Open is valid only inside fn, and only once. When fn returns
// fs.SkipAll the walk stops without error; fs.SkipDir on a directory skips
// the entries under it. After the last entry the rest of the stream is
// read and, for image layers, its digest checked against the DiffID.
func (l *imageLayer) Walk(ctx context.Context, fn func(*Entry) error) error {
	rc, err := l.open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	opts := safefs.TarOptions{Limits: safeLimits(l.lim)}
	if l.tally != nil {
		opts.Charge = l.tally.start(l.info.Index)
	}
	if l.verify {
		opts.DiffID = l.info.DiffID
	}
	tr, err := safefs.NewTarReader(ctx, rc, opts)
	if err != nil {
		return wrapSafe(err)
	}
	defer tr.Close()
	gen := 0
	var skip []string // directories whose entries fn declined
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return wrapSafe(err)
		}
		gen++
		if skipped(skip, h.Name) {
			continue
		}
		e, ok, err := layerEntry(h)
		if err != nil {
			return wrapSafe(err)
		}
		if !ok {
			continue
		}
		var open func() (io.ReadCloser, error)
		if e.Mode.IsRegular() && !e.Hardlink && e.Whiteout == NoWhiteout {
			g := gen
			open = func() (io.ReadCloser, error) {
				if g != gen {
					return nil, &fs.PathError{Op: "open", Path: e.Path, Err: errors.New("entry content read after the walk moved on")}
				}
				return &contentReader{tr: tr, gen: &gen, mine: g}, nil
			}
		}
		err = fn(NewEntry(e, open))
		gen++ // an Open reader from this entry stops working
		switch {
		case err == nil:
		case errors.Is(err, fs.SkipAll):
			return nil
		case errors.Is(err, fs.SkipDir) && e.Mode.IsDir():
			skip = append(skip, e.Path+"/")
		default:
			return err
		}
	}
	return wrapSafe(tr.Finish())
}

// layerEntry turns a safe tar header into an Entry, recognising whiteouts.
// ok is false for entries to leave out: the root directory itself and
// AUFS bookkeeping files (".wh..wh.plnk" and the like).
func layerEntry(h *safefs.Header) (e Entry, ok bool, err error) {
	e = Entry{Path: h.Name, Mode: h.Mode, Size: h.Size, Linkname: h.Linkname, Hardlink: h.Hardlink,
		UID: h.UID, GID: h.GID, Mtime: h.ModTime}
	dir, base := path.Split(h.Name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	switch {
	case base == whiteoutOpaque:
		e.Path, e.Whiteout = dir, OpaqueWhiteout
	case strings.HasPrefix(base, whiteoutPrefix+whiteoutPrefix):
		return e, false, nil
	case strings.HasPrefix(base, whiteoutPrefix):
		victim := base[len(whiteoutPrefix):]
		if victim == "" || victim == "." || victim == ".." {
			return e, false, fmt.Errorf("whiteout %q names no file: %w", h.Name, ErrHostile)
		}
		e.Path, e.Whiteout = path.Join(dir, victim), FileWhiteout
	case h.Name == ".":
		return e, false, nil
	}
	if e.Whiteout != NoWhiteout {
		e.Size, e.Linkname, e.Hardlink = 0, "", false
	}
	return e, true, nil
}

// contentReader reads the current entry while the walk is still on it.
type contentReader struct {
	tr   *safefs.TarReader
	gen  *int
	mine int
}

func (c *contentReader) Read(p []byte) (int, error) {
	if *c.gen != c.mine {
		return 0, errors.New("entry content read after the walk moved on")
	}
	n, err := c.tr.Read(p)
	if err != nil && err != io.EOF {
		err = wrapSafe(err)
	}
	return n, err
}

func (c *contentReader) Close() error { return nil }

func skipped(prefixes []string, name string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
