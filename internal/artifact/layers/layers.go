// Package layers merges an image's layers into the single file tree a
// container sees, applying OCI whiteouts (".wh.NAME" and ".wh..wh..opq"),
// and remembers which layer wrote each surviving path. Symlinks resolve
// inside the tree's root only; the tree serves as an fs.FS.
package layers

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/artifact"
)

// ErrNotRetained: the file exists but its content was not kept during the
// walk (only files some extractor asked for are kept).
var ErrNotRetained = errors.New("content not retained")

// ErrLoop: too many symlinks while resolving a path.
var ErrLoop = errors.New("too many levels of symbolic links")

// maxHops bounds symlink resolution, as Linux's MAXSYMLINKS.
const maxHops = 40

// Node is one path in the merged tree.
type Node struct {
	Path     string
	Mode     fs.FileMode
	Size     int64
	Linkname string
	Hardlink bool
	UID, GID int
	Mtime    time.Time
	// Layer is the index of the layer that wrote this path.
	Layer int

	data     []byte
	retained bool
	children map[string]*Node // for directories, by base name
}

// Tree is the merged view.
type Tree struct {
	root *Node
}

// New returns an empty tree.
func New() *Tree {
	return &Tree{root: &Node{Path: ".", Mode: fs.ModeDir | 0o755, Layer: -1, children: map[string]*Node{}}}
}

// Merge applies layers in order, base first. Each layer's whiteouts delete
// from the layers below it only; then its entries are added.
func Merge(layers [][]artifact.Entry) *Tree {
	t := New()
	for i, entries := range layers {
		t.Apply(i, entries)
	}
	return t
}

// Apply adds one layer on top of the tree.
func (t *Tree) Apply(layer int, entries []artifact.Entry) {
	for i := range entries {
		e := &entries[i]
		switch e.Whiteout {
		case artifact.FileWhiteout:
			t.remove(e.Path)
		case artifact.OpaqueWhiteout:
			if n := t.lookup(e.Path); n != nil && n.children != nil {
				clear(n.children)
			}
		}
	}
	for i := range entries {
		e := &entries[i]
		if e.Whiteout != artifact.NoWhiteout || e.Path == "." || e.Path == "" {
			continue
		}
		t.add(layer, e)
	}
}

func (t *Tree) lookup(p string) *Node {
	if p == "." || p == "" {
		return t.root
	}
	n := t.root
	for part := range strings.SplitSeq(p, "/") {
		if n.children == nil {
			return nil
		}
		n = n.children[part]
		if n == nil {
			return nil
		}
	}
	return n
}

func (t *Tree) remove(p string) {
	dir, base := path.Split(p)
	parent := t.lookup(strings.TrimSuffix(dir, "/"))
	if parent != nil && parent.children != nil {
		delete(parent.children, base)
	}
}

// parentDir returns the directory node for p's parent, creating implicit
// directories; a non-directory in the way is replaced.
func (t *Tree) parentDir(layer int, p string) *Node {
	dir := path.Dir(p)
	if dir == "." {
		return t.root
	}
	n := t.root
	cur := ""
	for part := range strings.SplitSeq(dir, "/") {
		if cur == "" {
			cur = part
		} else {
			cur += "/" + part
		}
		c := n.children[part]
		if c == nil || !c.Mode.IsDir() {
			c = &Node{Path: cur, Mode: fs.ModeDir | 0o755, Layer: layer, children: map[string]*Node{}}
			n.children[part] = c
		}
		n = c
	}
	return n
}

func (t *Tree) add(layer int, e *artifact.Entry) {
	parent := t.parentDir(layer, e.Path)
	base := path.Base(e.Path)
	old := parent.children[base]
	n := &Node{Path: e.Path, Mode: e.Mode, Size: e.Size, Linkname: e.Linkname, Hardlink: e.Hardlink,
		UID: e.UID, GID: e.GID, Mtime: e.Mtime, Layer: layer}
	if e.Hardlink {
		// A hard link's tar header has no size: it is the target's.
		if m := t.lookup(e.Linkname); m != nil && m.Mode.IsRegular() {
			n.Size = m.Size
		}
	}
	if e.Mode.IsDir() {
		// A directory over a directory keeps the lower contents.
		if old != nil && old.Mode.IsDir() {
			n.children = old.children
		} else {
			n.children = map[string]*Node{}
		}
	}
	parent.children[base] = n
}

// Lookup returns the node at p without following a final symlink, or nil.
func (t *Tree) Lookup(p string) *Node {
	r, err := t.resolve(p, false, 0)
	if err != nil {
		return nil
	}
	return t.lookup(r)
}

// Origin returns the index of the layer that wrote p, or -1.
func (t *Tree) Origin(p string) int {
	if n := t.lookup(p); n != nil {
		return n.Layer
	}
	return -1
}

// Retain stores the content of the regular file p as written by layer.
// It is ignored when another layer's version of p is the visible one.
func (t *Tree) Retain(p string, layer int, data []byte) {
	if n := t.lookup(p); n != nil && n.Layer == layer && (n.Mode.IsRegular() || n.Hardlink) {
		n.data = data
		n.retained = true
	}
}

// Resolve follows symlinks in every component of p, and the last one too,
// keeping the result inside the root: ".." at the root stays at the root and
// absolute targets are taken from the root, as a chroot would.
func (t *Tree) Resolve(p string) (string, error) { return t.resolve(p, true, 0) }

func (t *Tree) resolve(p string, followLast bool, hops int) (string, error) {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return ".", nil
	}
	parts := strings.Split(p, "/")
	resolved := ""
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		cand := part
		if resolved != "" {
			cand = resolved + "/" + part
		}
		n := t.lookup(cand)
		last := i == len(parts)-1
		if n == nil || n.Mode&fs.ModeSymlink == 0 || (last && !followLast) {
			resolved = cand
			continue
		}
		hops++
		if hops > maxHops {
			return "", ErrLoop
		}
		target := n.Linkname
		if !path.IsAbs(target) {
			target = path.Join(resolved, target)
		}
		rest := strings.Join(parts[i+1:], "/")
		next := strings.Trim(path.Clean("/"+target), "/")
		if rest != "" {
			next = path.Join(next, rest)
		}
		return t.resolve(next, followLast, hops)
	}
	if resolved == "" {
		return ".", nil
	}
	return resolved, nil
}

// Walk calls fn for every node in lexical path order, directories before
// their contents. The root is not visited.
func (t *Tree) Walk(fn func(*Node) error) error { return walk(t.root, fn) }

func walk(n *Node, fn func(*Node) error) error {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		c := n.children[k]
		if err := fn(c); err != nil {
			if err == fs.SkipDir {
				continue
			}
			return err
		}
		if c.children != nil {
			if err := walk(c, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// Len returns the number of paths in the tree.
func (t *Tree) Len() int {
	n := 0
	_ = t.Walk(func(*Node) error { n++; return nil })
	return n
}

// content returns the bytes of regular file n, following a hard link.
func (t *Tree) content(n *Node) ([]byte, error) {
	if n.retained {
		return n.data, nil
	}
	if n.Hardlink {
		if m := t.lookup(n.Linkname); m != nil && m != n && m.retained {
			return m.data, nil
		}
	}
	return nil, ErrNotRetained
}

// Open implements fs.FS. Symlinks are followed inside the root.
func (t *Tree) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	r, err := t.Resolve(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	n := t.lookup(r)
	if n == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if n.children != nil {
		return &dirFile{t: t, n: n}, nil
	}
	data, err := t.content(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{n: n, Reader: bytes.NewReader(data)}, nil
}

// Stat implements fs.StatFS, following symlinks.
func (t *Tree) Stat(name string) (fs.FileInfo, error) {
	r, err := t.Resolve(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	n := t.lookup(r)
	if n == nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return nodeInfo{n}, nil
}

// Lstat implements fs.ReadLinkFS.
func (t *Tree) Lstat(name string) (fs.FileInfo, error) {
	n := t.Lookup(name)
	if n == nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
	}
	return nodeInfo{n}, nil
}

// ReadLink implements fs.ReadLinkFS.
func (t *Tree) ReadLink(name string) (string, error) {
	n := t.Lookup(name)
	if n == nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrNotExist}
	}
	if n.Mode&fs.ModeSymlink == 0 {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.Linkname, nil
}

// ReadDir implements fs.ReadDirFS.
func (t *Tree) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	d, ok := f.(*dirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return d.ReadDir(-1)
}

type nodeInfo struct{ n *Node }

func (i nodeInfo) Name() string {
	if i.n.Path == "." {
		return "."
	}
	return path.Base(i.n.Path)
}
func (i nodeInfo) Size() int64                { return i.n.Size }
func (i nodeInfo) Mode() fs.FileMode          { return i.n.Mode }
func (i nodeInfo) ModTime() time.Time         { return i.n.Mtime }
func (i nodeInfo) IsDir() bool                { return i.n.Mode.IsDir() }
func (i nodeInfo) Sys() any                   { return i.n }
func (i nodeInfo) Type() fs.FileMode          { return i.n.Mode.Type() }
func (i nodeInfo) Info() (fs.FileInfo, error) { return i, nil }

type file struct {
	n *Node
	*bytes.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return nodeInfo{f.n}, nil }
func (f *file) Close() error               { return nil }

type dirFile struct {
	t       *Tree
	n       *Node
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return nodeInfo{d.n}, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.n.Path, Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	if d.entries == nil {
		names := make([]string, 0, len(d.n.children))
		for k := range d.n.children {
			names = append(names, k)
		}
		slices.Sort(names)
		d.entries = make([]fs.DirEntry, len(names))
		for i, k := range names {
			d.entries[i] = nodeInfo{d.n.children[k]}
		}
	}
	rest := d.entries[d.off:]
	if count <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	count = min(count, len(rest))
	d.off += count
	return rest[:count], nil
}
