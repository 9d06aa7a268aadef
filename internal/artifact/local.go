package artifact

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/safefs"
)

// blobStore serves the files of an OCI layout or image archive.
type blobStore interface {
	// open returns the file at the slash-separated path; a missing file
	// wraps fs.ErrNotExist.
	open(name string) (io.ReadCloser, error)
}

// archiveStore serves members of an indexed tar file as sections of it.
type archiveStore struct{ idx *safefs.TarIndex }

func (a archiveStore) open(name string) (io.ReadCloser, error) {
	sr, err := a.idx.Open(name)
	if err != nil {
		return nil, wrapSafe(err)
	}
	return io.NopCloser(sr), nil
}

// dirStore serves files of a layout directory through os.Root, so that
// no symlink in it reaches outside.
type dirStore struct{ root *os.Root }

func (d dirStore) open(name string) (io.ReadCloser, error) {
	f, err := d.root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f, nil
}

// readMeta reads a small metadata file from st.
func readMeta(st blobStore, name string, lim Limits) ([]byte, error) {
	rc, err := st.open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is missing: %w", name, ErrCorrupt)
		}
		return nil, err
	}
	defer rc.Close()
	return readAllLimit(rc, lim.MaxMetadataBytes, name)
}

// blobPath returns the layout path of a blob, refusing digests that are
// not well formed (they become paths).
func blobPath(h v1.Hash) (string, error) {
	if _, err := v1.NewHash(h.String()); err != nil || h.Algorithm == "" {
		return "", fmt.Errorf("malformed digest %q: %w", h.String(), ErrCorrupt)
	}
	return "blobs/" + h.Algorithm + "/" + h.Hex, nil
}

// readBlob reads a metadata blob and checks its digest.
func readBlob(st blobStore, d v1.Descriptor, lim Limits) ([]byte, error) {
	p, err := blobPath(d.Digest)
	if err != nil {
		return nil, err
	}
	if d.Size > lim.MaxMetadataBytes {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte metadata limit: %w", d.Digest, d.Size, lim.MaxMetadataBytes, ErrHostile)
	}
	b, err := readMeta(st, p, lim)
	if err != nil {
		return nil, err
	}
	if d.Digest.Algorithm == "sha256" && sha256Digest(b) != d.Digest.String() {
		return nil, fmt.Errorf("blob %s does not match its digest: %w", d.Digest, ErrCorrupt)
	}
	return b, nil
}

// maxIndexDepth bounds nested indexes.
const maxIndexDepth = 4

// openLocal opens an archive or layout directory at name.
func openLocal(ctx context.Context, kind Kind, name, ref string, opts Options) (*imageSource, error) {
	var (
		st      blobStore
		closers []func() error
	)
	if kind == OCILayout {
		root, err := os.OpenRoot(name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
			}
			return nil, err
		}
		st = dirStore{root}
		closers = append(closers, root.Close)
	} else {
		f, idx, err := indexArchive(ctx, name, opts.Limits)
		if err != nil {
			return nil, err
		}
		st = archiveStore{idx}
		closers = append(closers, f.Close)
	}
	var (
		src *imageSource
		err error
	)
	if kind == DockerArchive {
		src, err = openDockerArchive(ctx, st, ref, opts)
	} else {
		src, err = openOCI(ctx, st, ref, opts)
	}
	if err != nil {
		for _, c := range closers {
			c()
		}
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	src.closers = append(closers, src.closers...)
	return src, nil
}

func indexArchive(ctx context.Context, name string, lim Limits) (*os.File, *safefs.TarIndex, error) {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: a directory, not an archive: %w", name, ErrUnknownFormat)
	}
	idx, err := safefs.IndexTar(ctx, f, st.Size(), safefs.Limits{MaxEntries: lim.MaxEntries, MaxPathLen: lim.MaxPathLen})
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, wrapSafe(err))
	}
	return f, idx, nil
}

// detectArchive tells a docker-archive from an OCI archive by the members
// of the tar at name.
func detectArchive(name string, lim Limits) (Kind, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if c := safefs.DetectCompression(br); c != safefs.None {
		return "", fmt.Errorf("%s: a %s-compressed file; pave reads image archives uncompressed (decompress it first): %w", name, c, ErrUnknownFormat)
	}
	// The first header block must be a valid tar header.
	head := make([]byte, 1024)
	n, _ := io.ReadFull(br, head[:512])
	if _, err := tar.NewReader(bytes.NewReader(head[:max(n, 0)+512])).Next(); n < 512 || err != nil {
		return "", fmt.Errorf("%s: not an image archive, layout or directory: %w", name, ErrUnknownFormat)
	}
	f.Close()
	_, idx, err := indexArchive(context.Background(), name, lim)
	if err != nil {
		return "", err
	}
	has := map[string]bool{}
	for _, n := range idx.Names() {
		has[n] = true
	}
	switch {
	case has["manifest.json"]:
		return DockerArchive, nil
	case has["index.json"] && has["oci-layout"]:
		return OCIArchive, nil
	}
	return "", fmt.Errorf("%s: a tar file with neither manifest.json (docker save) nor index.json and oci-layout (OCI): %w", name, ErrUnknownFormat)
}

// isOCILayoutDir reports whether dir is an OCI image layout.
func isOCILayoutDir(dir string) bool {
	for _, f := range []string{"oci-layout", "index.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// openOCI opens the image of an OCI layout held in st.
func openOCI(ctx context.Context, st blobStore, ref string, opts Options) (*imageSource, error) {
	b, err := readMeta(st, "index.json", opts.Limits)
	if err != nil {
		return nil, err
	}
	var im v1.IndexManifest
	if err := parseJSON(b, &im, "index.json"); err != nil {
		return nil, err
	}
	var desc v1.Descriptor
	for depth := 0; ; depth++ {
		if depth == maxIndexDepth {
			return nil, fmt.Errorf("indexes nested more than %d deep: %w", maxIndexDepth, ErrHostile)
		}
		desc, err = pickManifest(&im, opts.Platform, ref)
		if err != nil {
			return nil, err
		}
		ref = "" // names apply to the top index only
		if !desc.MediaType.IsIndex() {
			break
		}
		b, err := readBlob(st, desc, opts.Limits)
		if err != nil {
			return nil, err
		}
		im = v1.IndexManifest{}
		if err := parseJSON(b, &im, "index "+desc.Digest.String()); err != nil {
			return nil, err
		}
	}
	return openManifest(ctx, st, desc, opts)
}

// openManifest opens the image whose manifest desc points at.
func openManifest(ctx context.Context, st blobStore, desc v1.Descriptor, opts Options) (*imageSource, error) {
	b, err := readBlob(st, desc, opts.Limits)
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := parseJSON(b, &m, "manifest "+desc.Digest.String()); err != nil {
		return nil, err
	}
	if m.Config.MediaType != "" && !m.Config.MediaType.IsConfig() && m.MediaType != "" && !m.MediaType.IsImage() {
		return nil, fmt.Errorf("manifest %s is not an image (%s): %w", desc.Digest, m.MediaType, ErrUnknownFormat)
	}
	cb, err := readBlob(st, m.Config, opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parseConfig(cb)
	if err != nil {
		return nil, err
	}
	digests := make([]string, len(m.Layers))
	paths := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		if paths[i], err = blobPath(l.Digest); err != nil {
			return nil, err
		}
		digests[i] = l.Digest.String()
	}
	src, err := newLocalSource(st, cfg, digests, paths, opts)
	if err != nil {
		return nil, err
	}
	src.ref.Digest = desc.Digest.String()
	src.ref.ImageID = m.Config.Digest.String()
	if name := desc.Annotations["io.containerd.image.name"]; name != "" {
		src.ref.RepoTags = []string{name}
	}
	return src, nil
}

// newLocalSource checks that every layer blob is present and builds the
// source.
func newLocalSource(st blobStore, cfg *v1.ConfigFile, digests, paths []string, opts Options) (*imageSource, error) {
	infos, err := layerInfos(cfg, digests)
	if err != nil {
		return nil, err
	}
	src := &imageSource{cfg: cfg, ref: Ref{Platform: configPlatform(cfg)}}
	t := newTally(opts.Limits.MaxTotalBytes, len(infos))
	for i, info := range infos {
		rc, err := st.open(paths[i])
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("layer %d (%s): blob %s is missing: %w", i+1, digests[i], paths[i], ErrCorrupt)
			}
			return nil, err
		}
		rc.Close()
		p := paths[i]
		src.layers = append(src.layers, &imageLayer{info: info, lim: opts.Limits, tally: t, verify: true,
			open: func(context.Context) (io.ReadCloser, error) { return st.open(p) }})
	}
	return src, nil
}

// dockerManifest is one entry of a docker-archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// openDockerArchive opens the image of a `docker save` archive: legacy
// (<id>/layer.tar) or Docker 25+ (blobs/sha256/..., with an OCI index too,
// which gives the manifest digest). With several images, ref picks one by
// repo tag ("repo:tag"; "repo" means "repo:latest"); otherwise the first.
func openDockerArchive(ctx context.Context, st blobStore, ref string, opts Options) (*imageSource, error) {
	b, err := readMeta(st, "manifest.json", opts.Limits)
	if err != nil {
		return nil, err
	}
	var ms []dockerManifest
	if err := parseJSON(b, &ms, "manifest.json"); err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("manifest.json lists no image: %w", ErrCorrupt)
	}
	m, err := pickDockerManifest(ms, ref)
	if err != nil {
		return nil, err
	}
	cb, err := readMeta(st, path.Clean(m.Config), opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parseConfig(cb)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		if paths[i], err = safefs.Clean(l); err != nil {
			return nil, wrapSafe(err)
		}
	}
	digests := make([]string, len(m.Layers))
	src, err := newLocalSource(st, cfg, digests, paths, opts)
	if err != nil {
		return nil, err
	}
	for i, l := range src.layers {
		il := l.(*imageLayer)
		d, err := dockerLayerDigest(ctx, st, paths[i], il.info.DiffID)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		il.info.Digest = d
	}
	src.ref.ImageID = sha256Digest(cb)
	src.ref.RepoTags = m.RepoTags
	src.ref.Digest = ociManifestDigest(st, src.ref.ImageID, opts.Limits)
	return src, nil
}

func pickDockerManifest(ms []dockerManifest, ref string) (dockerManifest, error) {
	if ref == "" {
		return ms[0], nil
	}
	want := ref
	if last := want[strings.LastIndex(want, "/")+1:]; !strings.Contains(last, ":") {
		want += ":latest"
	}
	var have []string
	for _, m := range ms {
		for _, t := range m.RepoTags {
			if t == want || t == ref || strings.HasSuffix(t, "/"+want) {
				return m, nil
			}
			have = append(have, t)
		}
	}
	return dockerManifest{}, fmt.Errorf("no image tagged %q in the archive (it has %s): %w", ref, strings.Join(have, ", "), ErrNotFound)
}

var hexName = regexp.MustCompile(`^([0-9a-f]{64})(\.tar(\.gz|\.zst)?)?$`)

// dockerLayerDigest works out a layer's blob digest: from a content
// addressed name (blobs/sha256/<hex>, <hex>.tar.gz as go-containerregistry
// writes), as the DiffID for an uncompressed layer.tar, or else by hashing
// the blob.
func dockerLayerDigest(ctx context.Context, st blobStore, p, diffID string) (string, error) {
	dir, base := path.Split(p)
	if dir == "blobs/sha256/" && hexName.MatchString(base) && !strings.Contains(base, ".") {
		return "sha256:" + base, nil
	}
	if m := hexName.FindStringSubmatch(base); m != nil && m[3] != "" {
		return "sha256:" + m[1], nil
	}
	rc, err := st.open(p)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	if safefs.DetectCompression(br) == safefs.None {
		return diffID, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, &ctxReader{ctx: ctx, r: br}); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ociManifestDigest finds, in a Docker 25+ archive's index.json, the
// manifest whose config is imageID. "" when there is none.
func ociManifestDigest(st blobStore, imageID string, lim Limits) string {
	b, err := readMeta(st, "index.json", lim)
	if err != nil {
		return ""
	}
	var im v1.IndexManifest
	if json := parseJSON(b, &im, "index.json"); json != nil {
		return ""
	}
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() {
			continue
		}
		mb, err := readBlob(st, d, lim)
		if err != nil {
			continue
		}
		var m v1.Manifest
		if parseJSON(mb, &m, "manifest") == nil && m.Config.Digest.String() == imageID {
			return d.Digest.String()
		}
	}
	return ""
}
