package safefs

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
)

// TarIndex maps the members of an uncompressed tar file to where their
// content lies, from one pass over the headers: members are then served
// as io.SectionReaders over the file, nothing extracted.
type TarIndex struct {
	r       io.ReaderAt
	members map[string]member
}

type member struct {
	off, size int64
	link      string // symlink (resolved against the member's dir) or hard link target
}

// maxLinkHops bounds link chains inside an indexed archive.
const maxLinkHops = 40

// IndexTar reads the headers of the tar held in r (size bytes). Only
// regular files, hard links and symlinks are indexed; a later member of
// the same name replaces an earlier one, as tar extraction would. Limits
// bound entries and name length (MaxBytes and MaxRatio do not apply: no
// content is read).
func IndexTar(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*TarIndex, error) {
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	idx := &TarIndex{r: r, members: map[string]member{}}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("unexpected EOF in tar file: %w", ErrCorrupt)
			}
			return nil, fmt.Errorf("tar file: %v: %w", err, ErrCorrupt)
		}
		n++
		if lim.MaxEntries > 0 && n > lim.MaxEntries {
			return nil, fmt.Errorf("more than %d members: %w", lim.MaxEntries, ErrHostile)
		}
		if lim.MaxPathLen > 0 && (len(hdr.Name) > lim.MaxPathLen || len(hdr.Linkname) > lim.MaxPathLen) {
			return nil, fmt.Errorf("member name of %d bytes is over the %d-byte limit: %w", len(hdr.Name), lim.MaxPathLen, ErrHostile)
		}
		name, err := Clean(hdr.Name)
		if err != nil {
			return nil, err
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			off, err := sr.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, err
			}
			if hdr.Size < 0 || off+hdr.Size > size {
				return nil, fmt.Errorf("member %s runs past the end of the file: %w", name, ErrCorrupt)
			}
			idx.members[name] = member{off: off, size: hdr.Size}
		case tar.TypeLink:
			target, err := Clean(hdr.Linkname)
			if err != nil {
				return nil, fmt.Errorf("hard link %s: %w", name, err)
			}
			idx.members[name] = member{link: target}
		case tar.TypeSymlink:
			// Resolved inside the archive: a ".." above the root stays
			// at the root, as for a chroot.
			t := hdr.Linkname
			if !path.IsAbs(t) {
				t = path.Join("/", path.Dir(name), t)
			}
			target, _ := Clean(path.Clean("/" + t))
			idx.members[name] = member{link: target}
		default:
			delete(idx.members, name)
		}
	}
	return idx, nil
}

// Names returns the names of the indexed members, sorted.
func (x *TarIndex) Names() []string {
	names := make([]string, 0, len(x.members))
	for k := range x.members {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Open returns the content of member name (cleaned like Clean), following
// links inside the archive. A missing member wraps fs.ErrNotExist.
func (x *TarIndex) Open(name string) (*io.SectionReader, error) {
	c, err := Clean(name)
	if err != nil {
		return nil, err
	}
	for range maxLinkHops {
		m, ok := x.members[c]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		if m.link == "" {
			return io.NewSectionReader(x.r, m.off, m.size), nil
		}
		c = m.link
	}
	return nil, fmt.Errorf("%s: too many links: %w", name, ErrHostile)
}
