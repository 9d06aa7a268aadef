package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// tfile is a member of a test tar.
type tfile struct {
	name, body, link string
	typ              byte
	mode             int64
	uid, gid         int
}

func tarOf(t testing.TB, files []tfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Linkname: f.link, Typeflag: f.typ, Mode: f.mode, Uid: f.uid, Gid: f.gid, Size: int64(len(f.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			io.WriteString(tw, f.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// baseLayer is the data tar of Debian's hostname package.
func baseLayer(t testing.TB) []byte { return readTestdata(t, "hostname-data.tar") }

// topLayer edits the base: the host's real os-release, a hard link to
// it, a file whiteout, an opaque directory, a setuid binary, a user's
// home, and hostile-looking symlinks (data, never followed).
func topLayer(t testing.TB) []byte {
	osr := string(readTestdata(t, "os-release"))
	return tarOf(t, []tfile{
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/os-release", body: osr},
		{name: "usr/lib/os-release", typ: tar.TypeLink, link: "etc/os-release"},
		{name: "bin/.wh.domainname"},
		{name: "usr/share/man/man1/.wh..wh..opq"},
		{name: "usr/share/man/man1/new.1", body: ".TH NEW 1\n"},
		{name: "usr/bin/passwd", body: "\x7fELF not really", mode: 0o4755},
		{name: "home/user/", typ: tar.TypeDir, mode: 0o700, uid: 1000, gid: 1000},
		{name: "etc/shadow-link", typ: tar.TypeSymlink, link: "/../../../etc/shadow"},
		{name: "loop/a", typ: tar.TypeSymlink, link: "b"},
		{name: "loop/b", typ: tar.TypeSymlink, link: "a"},
	})
}

func opener(b []byte) tarball.Opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// history has empty layers between the two that made layers, to test
// the mapping.
var testHistory = []v1.History{
	{CreatedBy: "ADD hostname-data.tar /"},
	{CreatedBy: "ENV LANG=C.UTF-8", EmptyLayer: true},
	{CreatedBy: "RUN edit", Comment: "buildkit.dockerfile.v0"},
	{CreatedBy: `CMD ["/bin/hostname"]`, EmptyLayer: true},
}

// buildImage makes the two-layer test image with the given layers.
func buildImage(t testing.TB, platform v1.Platform, ls ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = platform.OS, platform.Architecture, platform.Variant
	cf.Config.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cf.Config.User = "1000"
	if len(ls) == 2 {
		cf.History = testHistory
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// gzipImage has gzip layers; zstdImage a zstd top layer; plainImage
// uncompressed layers (as docker save writes them).
func gzipImage(t testing.TB) v1.Image {
	l0, err := tarball.LayerFromOpener(opener(baseLayer(t)))
	if err != nil {
		t.Fatal(err)
	}
	l1, err := tarball.LayerFromOpener(opener(topLayer(t)))
	if err != nil {
		t.Fatal(err)
	}
	return buildImage(t, amd64, l0, l1)
}

func zstdImage(t testing.TB, platform v1.Platform) v1.Image {
	l0, err := tarball.LayerFromOpener(opener(baseLayer(t)))
	if err != nil {
		t.Fatal(err)
	}
	l1, err := tarball.LayerFromOpener(opener(topLayer(t)), tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
	if err != nil {
		t.Fatal(err)
	}
	return buildImage(t, platform, l0, l1)
}

func plainImage(t testing.TB) v1.Image {
	return buildImage(t, amd64, static.NewLayer(baseLayer(t), types.DockerUncompressedLayer), static.NewLayer(topLayer(t), types.DockerUncompressedLayer))
}

const testTag = "example.com/pave/test:1"

func writeDockerArchive(t testing.TB, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, err := name.NewTag(testTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeLayout(t testing.TB, imgs map[string]v1.Image, platforms map[string]*v1.Platform) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for ref, img := range imgs {
		opts := []layout.Option{layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})}
		if p := platforms[ref]; p != nil {
			opts = append(opts, layout.WithPlatform(*p))
		}
		if err := lp.AppendImage(img, opts...); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tarDir writes dir's files into a tar, plus extra members.
func tarDir(t testing.TB, dir string, extra []tfile) string {
	t.Helper()
	var files []tfile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files = append(files, tfile{name: filepath.ToSlash(rel), body: string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "archive.tar")
	if err := os.WriteFile(out, tarOf(t, append(files, extra...)), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func digestHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeLegacyDockerSave writes the pre-25 `docker save` form:
// <id>/layer.tar (uncompressed), <config>.json, manifest.json,
// repositories; a repeated layer is a symlink to the first copy, as
// Docker writes it.
func writeLegacyDockerSave(t testing.TB, img v1.Image, layerTars [][]byte) string {
	t.Helper()
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfgName := digestHex(cfg) + ".json"
	files := []tfile{{name: cfgName, body: string(cfg)}}
	var layerPaths []string
	seen := map[string]string{}
	for i, lt := range layerTars {
		id := digestHex([]byte{byte(i)}) // v1 layer IDs are not content digests
		p := id + "/layer.tar"
		if first, ok := seen[digestHex(lt)]; ok {
			files = append(files, tfile{name: id + "/", typ: tar.TypeDir, mode: 0o755},
				tfile{name: p, typ: tar.TypeSymlink, link: "../" + first})
		} else {
			seen[digestHex(lt)] = p
			files = append(files, tfile{name: id + "/", typ: tar.TypeDir, mode: 0o755}, tfile{name: p, body: string(lt)},
				tfile{name: id + "/VERSION", body: "1.0"})
		}
		layerPaths = append(layerPaths, p)
	}
	m, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"other:1", testTag}, "Layers": layerPaths}})
	files = append(files, tfile{name: "manifest.json", body: string(m)},
		tfile{name: "repositories", body: `{"example.com/pave/test":{"1":"x"}}`})
	out := filepath.Join(t.TempDir(), "legacy.tar")
	if err := os.WriteFile(out, tarOf(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeDocker25Save writes Docker 25+'s `docker save` form: an OCI
// layout (uncompressed blobs) with manifest.json naming blobs/sha256/...
func writeDocker25Save(t testing.TB, img v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{"io.containerd.image.name": testTag, "org.opencontainers.image.ref.name": "1"})); err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, "blobs/sha256/"+l.Digest.Hex)
	}
	mj, _ := json.Marshal([]map[string]any{{"Config": "blobs/sha256/" + m.Config.Digest.Hex, "RepoTags": []string{testTag}, "Layers": layers}})
	return tarDir(t, dir, []tfile{{name: "manifest.json", body: string(mj)}})
}

// walked is an entry as compared in tests.
type walked struct {
	Path     string
	Mode     fs.FileMode
	Size     int64
	Link     string
	Hardlink bool
	Whiteout Whiteout
	UID, GID int
	Sum      string // of the content, regular files
}

func walkLayer(t testing.TB, l Layer) ([]walked, error) {
	t.Helper()
	var out []walked
	err := l.Walk(context.Background(), func(e *Entry) error {
		w := walked{Path: e.Path, Mode: e.Mode, Size: e.Size, Link: e.Linkname, Hardlink: e.Hardlink, Whiteout: e.Whiteout, UID: e.UID, GID: e.GID}
		if e.Mode.IsRegular() && !e.Hardlink && e.Whiteout == NoWhiteout {
			rc, err := e.Open()
			if err != nil {
				return err
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			if int64(len(b)) != e.Size {
				t.Errorf("%s: read %d bytes, size %d", e.Path, len(b), e.Size)
			}
			w.Sum = digestHex(b)[:12]
		}
		out = append(out, w)
		return nil
	})
	return out, err
}

// tarListing lists a plain tar as walkLayer should see it, using
// archive/tar and simple name trimming (the real layer holds no whiteouts).
func tarListing(t testing.TB, b []byte) []walked {
	var out []walked
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		p := strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		if p == "" {
			continue
		}
		w := walked{Path: p, Mode: h.FileInfo().Mode(), Link: h.Linkname, UID: h.Uid, GID: h.Gid}
		if h.Typeflag == tar.TypeReg {
			c, _ := io.ReadAll(tr)
			w.Size, w.Sum = h.Size, digestHex(c)[:12]
		}
		out = append(out, w)
	}
}

func staticLayer(b []byte) v1.Layer { return static.NewLayer(b, types.DockerUncompressedLayer) }

func gzBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type v1Image = v1.Image

// repeatLayer copies every member of a tar under n prefixes.
func repeatLayer(t testing.TB, b []byte, n int) []byte {
	var files []tfile
	for i := range n {
		tr := tar.NewReader(bytes.NewReader(b))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			body, _ := io.ReadAll(tr)
			files = append(files, tfile{name: fmt.Sprintf("p%d/%s", i, h.Name), typ: h.Typeflag, link: h.Linkname, body: string(body), mode: h.Mode})
		}
	}
	return tarOf(t, files)
}
