// Package testimage builds real container images from real Debian packages
// for pave's tests. Each layer installs .deb files the way dpkg does —
// their data unpacked, var/lib/dpkg/status rewritten with every installed
// package, var/lib/dpkg/info/<pkg>.list and the control members beside it —
// and may add files, purge packages, delete lower files (whiteouts) and
// hide lower directories (opaque whiteouts). The image is written as a
// docker-save tarball, an OCI layout directory or an OCI archive with
// go-containerregistry.
//
// Build also returns what a correct scanner must find, derived from the
// inputs: which package each layer added, which were purged, which paths
// were whited out, and the layers' digests.
//
// It reads .deb files with dpkg-deb (present on every Debian system), since
// bookworm packages are xz-compressed and the standard library has no xz.
package testimage

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultCreated is the creation time used when Spec.Created is zero, so
// that the same inputs give the same image digest.
var DefaultCreated = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// File is an extra file a layer adds.
type File struct {
	Path string      // relative to the root: "app/package-lock.json"
	Data []byte      // content
	Mode fs.FileMode // permission bits; 0 means 0644
}

// Layer describes one image layer. Steps apply in this order: Delete,
// Opaque and Purge (whiteouts), then Debs, then Files.
type Layer struct {
	// CreatedBy is the history entry ("RUN apt-get install ...").
	CreatedBy string
	// Debs are .deb files to install, in order.
	Debs []string
	// Purge names installed packages to remove as `dpkg --purge` would:
	// their files and info files are whited out and the status file is
	// rewritten without them.
	Purge []string
	// Files are added after the packages.
	Files []File
	// Delete whites out paths written by lower layers (a directory takes
	// its contents with it).
	Delete []string
	// Opaque marks directories whose lower contents are hidden.
	Opaque []string
	// After are history entries for instructions that made no layer
	// ("ENV A=b", "USER 1000"), recorded after this layer with empty_layer.
	After []string
}

// Spec describes an image.
type Spec struct {
	Layers     []Layer
	Created    time.Time // zero: DefaultCreated
	Arch       string    // zero: "amd64"
	Env        []string
	User       string
	Cmd        []string
	Entrypoint []string
	WorkingDir string
	Labels     map[string]string
}

// Package is a Debian package as a scanner should report it.
type Package struct {
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Arch          string   `json:"arch"`
	MultiArch     string   `json:"multiArch,omitempty"`
	SourceName    string   `json:"sourceName"`
	SourceVersion string   `json:"sourceVersion"`
	Layer         int      `json:"layer"`           // index of the layer that installed it
	RemovedIn     int      `json:"removedIn"`       // layer that purged it; -1 if installed
	Files         []string `json:"files,omitempty"` // non-directory paths it installed
}

// Deleted is a path a whiteout removed.
type Deleted struct {
	Path  string `json:"path"`
	Layer int    `json:"layer"` // the layer whose whiteout deleted it
	Dir   bool   `json:"dir,omitempty"`
}

// LayerInfo is one built layer.
type LayerInfo struct {
	Index     int      `json:"index"`
	Digest    string   `json:"digest"` // compressed blob digest
	DiffID    string   `json:"diffID"`
	CreatedBy string   `json:"createdBy"`
	Debs      []string `json:"debs,omitempty"`  // package names installed
	Files     []string `json:"files,omitempty"` // extra files added
}

// Expected is what a correct scan of the image finds, derived from the
// spec and the .deb files.
type Expected struct {
	ImageID   string      `json:"imageID"` // config digest
	Layers    []LayerInfo `json:"layers"`
	Packages  []Package   `json:"packages"`  // installed at the end, by name
	Removed   []Package   `json:"removed"`   // purged by a later layer
	WhitedOut []Deleted   `json:"whitedOut"` // by path
}

// Image is a built image and what scanning it must find.
type Image struct {
	Image    v1.Image
	Expected Expected
}

// Build assembles the image spec describes.
func Build(ctx context.Context, spec Spec) (*Image, error) {
	if len(spec.Layers) == 0 {
		return nil, fmt.Errorf("testimage: spec has no layers")
	}
	created := spec.Created
	if created.IsZero() {
		created = DefaultCreated
	}
	b := &builder{
		created:   created,
		present:   map[string]bool{},
		installed: map[string]*installed{},
		debs:      map[string]*Deb{},
	}
	img := empty.Image
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	var infos []LayerInfo
	for i, ls := range spec.Layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, info, err := b.layer(ctx, i, ls)
		if err != nil {
			return nil, fmt.Errorf("testimage: layer %d: %w", i, err)
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, fmt.Errorf("testimage: layer %d: %w", i, err)
		}
		adds := []mutate.Addendum{{
			Layer:     layer,
			MediaType: types.OCILayer,
			History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: ls.CreatedBy},
		}}
		for _, a := range ls.After {
			adds = append(adds, mutate.Addendum{History: v1.History{Created: v1.Time{Time: created}, CreatedBy: a, EmptyLayer: true}})
		}
		if img, err = mutate.Append(img, adds...); err != nil {
			return nil, fmt.Errorf("testimage: layer %d: %w", i, err)
		}
		if info.Digest, info.DiffID, err = layerDigests(layer); err != nil {
			return nil, fmt.Errorf("testimage: layer %d: %w", i, err)
		}
		infos = append(infos, info)
	}
	img, err := configure(img, spec, created)
	if err != nil {
		return nil, err
	}
	id, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("testimage: config digest: %w", err)
	}
	exp := b.expected()
	exp.ImageID = id.String()
	exp.Layers = infos
	return &Image{Image: img, Expected: exp}, nil
}

func layerDigests(l v1.Layer) (digest, diffID string, err error) {
	d, err := l.Digest()
	if err != nil {
		return "", "", err
	}
	di, err := l.DiffID()
	if err != nil {
		return "", "", err
	}
	return d.String(), di.String(), nil
}

func configure(img v1.Image, spec Spec, created time.Time) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("testimage: config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture = spec.Arch
	if cf.Architecture == "" {
		cf.Architecture = "amd64"
	}
	cf.OS = "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config.Env = slices.Clone(spec.Env)
	cf.Config.User = spec.User
	cf.Config.Cmd = slices.Clone(spec.Cmd)
	cf.Config.Entrypoint = slices.Clone(spec.Entrypoint)
	cf.Config.WorkingDir = spec.WorkingDir
	cf.Config.Labels = spec.Labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("testimage: config: %w", err)
	}
	return img, nil
}

type installed struct {
	deb   *Deb
	layer int
}

// builder carries state across layers: what paths exist, what is installed.
type builder struct {
	created   time.Time
	present   map[string]bool // every path after the layers so far; true for directories
	installed map[string]*installed
	removed   []Package
	deleted   []Deleted
	debs      map[string]*Deb // by file, read once
}

func (b *builder) readDeb(ctx context.Context, file string) (*Deb, error) {
	if d, ok := b.debs[file]; ok {
		return d, nil
	}
	d, err := ReadDeb(ctx, file)
	if err != nil {
		return nil, err
	}
	b.debs[file] = d
	return d, nil
}

// layer returns the uncompressed tar of layer i.
func (b *builder) layer(ctx context.Context, i int, ls Layer) ([]byte, LayerInfo, error) {
	info := LayerInfo{Index: i, CreatedBy: ls.CreatedBy}
	var buf bytes.Buffer
	w := &tarWriter{tw: tar.NewWriter(&buf), mtime: b.created, written: map[string]bool{}}

	// Whiteouts first: they apply to the layers below only.
	var whiteouts []string
	for _, p := range ls.Delete {
		rel := relPath(p)
		if rel == "" || !b.has(rel) {
			return nil, info, fmt.Errorf("delete %q: not in a lower layer", p)
		}
		whiteouts = append(whiteouts, rel)
	}
	for _, name := range ls.Purge {
		inst, ok := b.installed[name]
		if !ok {
			return nil, info, fmt.Errorf("purge %q: not installed", name)
		}
		for _, f := range inst.deb.files {
			if b.has(f) {
				whiteouts = append(whiteouts, f)
			}
		}
		for _, f := range infoFiles(inst.deb) {
			whiteouts = append(whiteouts, f)
		}
		p := packageOf(inst)
		p.RemovedIn = i
		b.removed = append(b.removed, p)
		delete(b.installed, name)
	}
	for _, rel := range whiteouts {
		b.remove(i, rel, false)
		if err := w.whiteout(rel); err != nil {
			return nil, info, err
		}
	}
	for _, p := range ls.Opaque {
		rel := relPath(p)
		if rel == "" || !b.present[rel] {
			return nil, info, fmt.Errorf("opaque %q: not a directory in a lower layer", p)
		}
		b.remove(i, rel, true)
		if err := w.opaque(rel); err != nil {
			return nil, info, err
		}
	}

	for _, file := range ls.Debs {
		if err := ctx.Err(); err != nil {
			return nil, info, err
		}
		d, err := b.readDeb(ctx, file)
		if err != nil {
			return nil, info, err
		}
		if d.data == nil {
			return nil, info, fmt.Errorf("%s: installed twice in one build", file)
		}
		if err := w.deb(d); err != nil {
			return nil, info, fmt.Errorf("%s: %w", file, err)
		}
		d.data = nil // written; large images should not hold every package twice
		b.installed[d.Name] = &installed{deb: d, layer: i}
		info.Debs = append(info.Debs, d.Name)
	}
	if len(ls.Debs) > 0 || len(ls.Purge) > 0 {
		if err := b.writeDpkgDB(w, ls.Debs); err != nil {
			return nil, info, err
		}
	}
	for _, f := range ls.Files {
		rel := relPath(f.Path)
		if rel == "" {
			return nil, info, fmt.Errorf("file %q: empty path", f.Path)
		}
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = 0o644
		}
		if err := w.file(rel, f.Data, mode); err != nil {
			return nil, info, err
		}
		info.Files = append(info.Files, rel)
	}
	if err := w.tw.Close(); err != nil {
		return nil, info, err
	}
	for p, dir := range w.written {
		b.present[p] = dir
	}
	return buf.Bytes(), info, nil
}

func (b *builder) has(rel string) bool {
	_, ok := b.present[rel]
	return ok
}

// remove deletes rel (unless contentsOnly) and everything under it from
// the present set, recording each deleted path.
func (b *builder) remove(layer int, rel string, contentsOnly bool) {
	prefix := rel + "/"
	for p, dir := range b.present {
		if (p == rel && !contentsOnly) || strings.HasPrefix(p, prefix) {
			delete(b.present, p)
			b.deleted = append(b.deleted, Deleted{Path: p, Layer: layer, Dir: dir})
		}
	}
}

func packageOf(inst *installed) Package {
	d := inst.deb
	return Package{
		Name: d.Name, Version: d.Version, Arch: d.Arch, MultiArch: d.MultiArch,
		SourceName: d.SourceName, SourceVersion: d.SourceVersion,
		Layer: inst.layer, RemovedIn: -1, Files: d.Files(),
	}
}

func (b *builder) expected() Expected {
	var exp Expected
	for _, inst := range b.installed {
		exp.Packages = append(exp.Packages, packageOf(inst))
	}
	slices.SortFunc(exp.Packages, func(a, b Package) int { return strings.Compare(a.Name, b.Name) })
	exp.Removed = slices.Clone(b.removed)
	exp.WhitedOut = slices.Clone(b.deleted)
	slices.SortFunc(exp.WhitedOut, func(a, b Deleted) int { return strings.Compare(a.Path, b.Path) })
	if exp.Removed == nil {
		exp.Removed = []Package{}
	}
	if exp.WhitedOut == nil {
		exp.WhitedOut = []Deleted{}
	}
	return exp
}

// tarWriter writes one layer, adding parent directories once.
type tarWriter struct {
	tw      *tar.Writer
	mtime   time.Time
	written map[string]bool // paths in this layer; true for directories
}

func (w *tarWriter) dir(rel string) error {
	if rel == "" || rel == "." || w.written[rel] {
		return nil
	}
	if err := w.dir(parent(rel)); err != nil {
		return err
	}
	w.written[rel] = true
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755,
		Uname: "root", Gname: "root", ModTime: w.mtime})
}

func (w *tarWriter) has(rel string) bool {
	_, ok := w.written[rel]
	return ok
}

func parent(rel string) string {
	d := path.Dir(rel)
	if d == "." {
		return ""
	}
	return d
}

func (w *tarWriter) file(rel string, data []byte, mode fs.FileMode) error {
	if err := w.dir(parent(rel)); err != nil {
		return err
	}
	w.written[rel] = false
	h := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: int64(mode), Size: int64(len(data)),
		Uname: "root", Gname: "root", ModTime: w.mtime}
	if err := w.tw.WriteHeader(h); err != nil {
		return err
	}
	_, err := w.tw.Write(data)
	return err
}

func (w *tarWriter) marker(rel string) error {
	if err := w.dir(parent(rel)); err != nil {
		return err
	}
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o644,
		Uname: "root", Gname: "root", ModTime: w.mtime})
}

func (w *tarWriter) whiteout(rel string) error {
	return w.marker(path.Join(path.Dir(rel), ".wh."+path.Base(rel)))
}

func (w *tarWriter) opaque(dir string) error {
	if err := w.dir(dir); err != nil {
		return err
	}
	return w.marker(dir + "/.wh..wh..opq")
}

// deb copies a package's data tar into the layer, with names made
// root-relative ("./usr/bin/x" → "usr/bin/x").
func (w *tarWriter) deb(d *Deb) error {
	tr := tar.NewReader(bytes.NewReader(d.data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rel := relPath(h.Name)
		if rel == "" {
			continue
		}
		if h.Typeflag == tar.TypeDir {
			if w.written[rel] {
				continue
			}
			if err := w.dir(parent(rel)); err != nil {
				return err
			}
			w.written[rel] = true
			if err := w.tw.WriteHeader(cleanHeader(h, rel+"/", "")); err != nil {
				return err
			}
			continue
		}
		if err := w.dir(parent(rel)); err != nil {
			return err
		}
		link := h.Linkname
		if h.Typeflag == tar.TypeLink {
			link = relPath(link)
		}
		w.written[rel] = false
		if err := w.tw.WriteHeader(cleanHeader(h, rel, link)); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.Copy(w.tw, tr); err != nil {
				return err
			}
		}
	}
}

// cleanHeader keeps what a layer needs and drops access/change times so
// that layers are reproducible.
func cleanHeader(h *tar.Header, name, link string) *tar.Header {
	size := h.Size
	if h.Typeflag != tar.TypeReg {
		size = 0
	}
	return &tar.Header{Typeflag: h.Typeflag, Name: name, Linkname: link, Size: size, Mode: h.Mode,
		Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname, ModTime: h.ModTime,
		Devmajor: h.Devmajor, Devminor: h.Devminor}
}
