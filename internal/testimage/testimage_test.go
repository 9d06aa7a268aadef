package testimage

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The .deb files in testdata are real bookworm packages chosen for their
// shapes: base-files is Essential with conffiles, netbase has conffiles
// and maintainer scripts, node-ms is tiny and arch "all", ruby-sdbm is
// Multi-Arch: same and a binNMU whose Source field carries a version.
func testDebs(t *testing.T, names ...string) []string {
	t.Helper()
	files, err := FindDebs("testdata", names...)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func needDpkg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
}

// dpkgField asks dpkg-deb itself, independently of our parser.
func dpkgField(t *testing.T, file, field string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--field", file, field).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --field %s %s: %v", file, field, err)
	}
	return strings.TrimSpace(string(out))
}

func TestReadDeb(t *testing.T) {
	needDpkg(t)
	ctx := context.Background()
	for _, file := range testDebs(t, "base-files", "netbase", "node-ms", "ruby-sdbm") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			d, err := ReadDeb(ctx, file)
			if err != nil {
				t.Fatal(err)
			}
			srcName, srcVer, _ := strings.Cut(dpkgField(t, file, "Source"), " ")
			if srcName == "" {
				srcName = dpkgField(t, file, "Package")
			}
			srcVer = strings.Trim(srcVer, "()")
			if srcVer == "" {
				srcVer = dpkgField(t, file, "Version")
			}
			want := []string{dpkgField(t, file, "Package"), dpkgField(t, file, "Version"),
				dpkgField(t, file, "Architecture"), dpkgField(t, file, "Multi-Arch"), srcName, srcVer}
			got := []string{d.Name, d.Version, d.Arch, d.MultiArch, d.SourceName, d.SourceVersion}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fields (-dpkg-deb +ReadDeb):\n%s", diff)
			}
			// dpkg-deb -c lists the same non-directory paths.
			out, err := exec.Command("dpkg-deb", "--contents", file).Output()
			if err != nil {
				t.Fatal(err)
			}
			var wantFiles []string
			for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
				if strings.HasPrefix(line, "d") {
					continue
				}
				f := strings.Fields(line)
				name := f[5]
				if i := slices.Index(f, "->"); i > 0 {
					name = f[i-1]
				} else if i := slices.Index(f, "link"); i > 0 {
					name = f[i-2]
				}
				wantFiles = append(wantFiles, strings.TrimPrefix(name, "./"))
			}
			if diff := cmp.Diff(wantFiles, d.Files()); diff != "" {
				t.Errorf("files (-dpkg-deb +ReadDeb):\n%s", diff)
			}
		})
	}
}

func TestInfoName(t *testing.T) {
	needDpkg(t)
	for _, tc := range []struct{ deb, want string }{
		{"ruby-sdbm", "ruby-sdbm:amd64"}, // Multi-Arch: same
		{"netbase", "netbase"},           // Multi-Arch: foreign
	} {
		d, err := ReadDeb(context.Background(), testDebs(t, tc.deb)[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := d.InfoName(); got != tc.want {
			t.Errorf("%s: InfoName = %q, want %q", tc.deb, got, tc.want)
		}
	}
}

// sampleSpec is a three-layer image exercising every feature.
func sampleSpec(t *testing.T) Spec {
	debs := testDebs(t, "base-files", "netbase", "ruby-sdbm", "node-ms")
	return Spec{
		Env:  []string{"PATH=/usr/bin:/bin"},
		User: "1000",
		Layers: []Layer{
			{CreatedBy: "ADD base", Debs: debs[:2], After: []string{"ENV PATH=/usr/bin:/bin"}},
			{CreatedBy: "RUN apt-get install ruby-sdbm node-ms", Debs: debs[2:],
				Files: []File{{Path: "app/conf/a.txt", Data: []byte("a\n")}, {Path: "/app/run.sh", Data: []byte("#!/bin/sh\n"), Mode: 0o755}}},
			{CreatedBy: "RUN dpkg --purge netbase && rm /etc/issue",
				Purge:  []string{"netbase"},
				Delete: []string{"etc/issue"},
				Opaque: []string{"app/conf"},
				Files:  []File{{Path: "app/conf/b.txt", Data: []byte("b\n")}},
				After:  []string{"USER 1000"}},
		},
	}
}

func TestBuild(t *testing.T) {
	needDpkg(t)
	ctx := context.Background()
	im, err := Build(ctx, sampleSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	exp := im.Expected

	type pkgLayer struct {
		Name      string
		Layer     int
		RemovedIn int
	}
	var got []pkgLayer
	for _, p := range append(slices.Clone(exp.Packages), exp.Removed...) {
		got = append(got, pkgLayer{p.Name, p.Layer, p.RemovedIn})
	}
	want := []pkgLayer{{"base-files", 0, -1}, {"node-ms", 1, -1}, {"ruby-sdbm", 1, -1}, {"netbase", 0, 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	// Expected layers match the image's.
	layers, err := im.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != len(exp.Layers) {
		t.Fatalf("%d layers, expected lists %d", len(layers), len(exp.Layers))
	}
	for i, l := range layers {
		d, _ := l.Digest()
		if d.String() != exp.Layers[i].Digest {
			t.Errorf("layer %d digest %s, expected says %s", i, d, exp.Layers[i].Digest)
		}
	}

	// History: one entry per layer plus the empty-layer ones, in order.
	cf, err := im.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var hist []string
	for _, h := range cf.History {
		s := h.CreatedBy
		if h.EmptyLayer {
			s += " (empty)"
		}
		hist = append(hist, s)
	}
	wantHist := []string{"ADD base", "ENV PATH=/usr/bin:/bin (empty)", "RUN apt-get install ruby-sdbm node-ms",
		"RUN dpkg --purge netbase && rm /etc/issue", "USER 1000 (empty)"}
	if diff := cmp.Diff(wantHist, hist); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if cf.Config.User != "1000" || cf.Architecture != "amd64" || cf.OS != "linux" {
		t.Errorf("config user %q arch %q os %q", cf.Config.User, cf.Architecture, cf.OS)
	}

	// The last layer holds the whiteouts as OCI spells them.
	names := layerNames(t, layers[2])
	for _, w := range []string{"etc/.wh.issue", "app/conf/.wh..wh..opq", "etc/.wh.protocols",
		"var/lib/dpkg/info/.wh.netbase.list", "var/lib/dpkg/info/.wh.netbase.postrm"} {
		if !slices.Contains(names, w) {
			t.Errorf("layer 2 lacks whiteout %s; has %v", w, names)
		}
	}
	for _, p := range []string{"etc/issue", "etc/protocols", "app/conf/a.txt"} {
		if !slices.ContainsFunc(exp.WhitedOut, func(d Deleted) bool { return d.Path == p && d.Layer == 2 }) {
			t.Errorf("WhitedOut lacks %s", p)
		}
	}
	if slices.ContainsFunc(exp.WhitedOut, func(d Deleted) bool { return d.Path == "app/conf" }) {
		t.Errorf("opaque directory app/conf itself listed as deleted")
	}
}

func layerNames(t *testing.T, l v1.Layer) []string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// TestDpkgReadsDatabase flattens the image with go-containerregistry (which
// applies whiteouts its own way) and asks the real dpkg-query what is
// installed and which files each package owns.
func TestDpkgReadsDatabase(t *testing.T) {
	needDpkg(t)
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("dpkg-query not installed")
	}
	ctx := context.Background()
	im, err := Build(ctx, sampleSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	extract(t, im.Image, root)
	admin := filepath.Join(root, "var/lib/dpkg")

	out, err := exec.Command("dpkg-query", "--admindir="+admin, "-W",
		"-f=${Package} ${Version} ${Architecture} ${source:Package} ${source:Version} ${db:Status-Abbrev}\n").CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-query -W: %v\n%s", err, out)
	}
	var want []string
	for _, p := range im.Expected.Packages {
		want = append(want, strings.Join([]string{p.Name, p.Version, p.Arch, p.SourceName, p.SourceVersion, "ii "}, " "))
	}
	got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dpkg-query -W (-expected +dpkg):\n%s", diff)
	}

	for _, p := range im.Expected.Packages {
		name := p.Name
		if p.MultiArch == "same" {
			name += ":" + p.Arch
		}
		out, err := exec.Command("dpkg-query", "--admindir="+admin, "-L", name).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-query -L %s: %v\n%s", name, err, out)
		}
		for _, f := range p.Files {
			if slices.ContainsFunc(im.Expected.WhitedOut, func(d Deleted) bool { return d.Path == f }) {
				continue
			}
			if !strings.Contains(string(out), "/"+f+"\n") {
				t.Errorf("dpkg-query -L %s lacks /%s:\n%s", name, f, out)
			}
			if _, err := os.Lstat(filepath.Join(root, f)); err != nil {
				t.Errorf("%s file %s missing from the flattened image: %v", p.Name, f, err)
			}
		}
	}
	// dpkg verifies conffile sums recorded in the status file.
	out, err = exec.Command("dpkg-query", "--admindir="+admin, "-W", "-f=${Conffiles}\n", "base-files").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "/etc/debian_version ") {
		t.Errorf("base-files conffiles: %v %s", err, out)
	}

	for _, d := range im.Expected.WhitedOut {
		if _, err := os.Lstat(filepath.Join(root, d.Path)); err == nil {
			t.Errorf("whited-out %s still in the flattened image", d.Path)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "app/conf/b.txt")); err != nil {
		t.Errorf("file added over the opaque directory is missing: %v", err)
	}
}

// extract writes the flattened image into dir (trusted input: our own
// image).
func extract(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, relPath(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		case tar.TypeLink:
			err = os.Link(filepath.Join(dir, relPath(h.Linkname)), p)
		case tar.TypeReg:
			var b bytes.Buffer
			if _, err = io.Copy(&b, tr); err == nil {
				err = os.WriteFile(p, b.Bytes(), 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteForms(t *testing.T) {
	needDpkg(t)
	im, err := Build(context.Background(), sampleSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dockerTar := filepath.Join(dir, "docker.tar")
	ociDir := filepath.Join(dir, "oci")
	ociTar := filepath.Join(dir, "oci.tar")
	if err := WriteDockerArchive(dockerTar, im.Image, "sample:1"); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCILayout(ociDir, im.Image, "sample:1"); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCIArchive(ociTar, im.Image, "sample:1"); err != nil {
		t.Fatal(err)
	}

	fromDocker, err := tarball.ImageFromPath(dockerTar, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromLayout := layoutImage(t, ociDir)
	unpacked := filepath.Join(dir, "unpacked")
	untar(t, ociTar, unpacked)
	fromArchive := layoutImage(t, unpacked)

	want := digests(t, im.Image)
	for name, img := range map[string]v1.Image{"docker-archive": fromDocker, "oci-layout": fromLayout, "oci-archive": fromArchive} {
		if diff := cmp.Diff(want, digests(t, img)); diff != "" {
			t.Errorf("%s digests (-built +read back):\n%s", name, diff)
		}
	}
	idx, err := layout.ImageIndexFromPath(ociDir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Manifests[0].Annotations[refNameAnnotation]; got != "sample:1" {
		t.Errorf("ref name annotation %q", got)
	}
}

// digests lists the config digest and layer digests and diff IDs.
func digests(t *testing.T, img v1.Image) []string {
	t.Helper()
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"config " + id.String()}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		di, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "layer "+d.String()+" "+di.String())
	}
	return out
}

func layoutImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("%s: %d manifests", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func untar(t *testing.T, file, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xf", file, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xf %s: %v\n%s", file, err, out)
	}
}

func TestBuildReproducible(t *testing.T) {
	needDpkg(t)
	var ids []string
	for range 2 {
		im, err := Build(context.Background(), sampleSpec(t))
		if err != nil {
			t.Fatal(err)
		}
		d, err := im.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.String())
	}
	if ids[0] != ids[1] {
		t.Errorf("two builds of one spec differ: %s vs %s", ids[0], ids[1])
	}
}

func TestBuildErrors(t *testing.T) {
	needDpkg(t)
	base := testDebs(t, "base-files")
	notDeb := filepath.Join(t.TempDir(), "x_1_all.deb")
	if err := os.WriteFile(notDeb, []byte("not an ar archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"no layers", Spec{}, "no layers"},
		{"missing deb", Spec{Layers: []Layer{{Debs: []string{"testdata/nope_1_all.deb"}}}}, "no such file"},
		{"not a deb", Spec{Layers: []Layer{{Debs: []string{notDeb}}}}, "dpkg-deb"},
		{"delete absent", Spec{Layers: []Layer{{Debs: base}, {Delete: []string{"etc/nothing"}}}}, "not in a lower layer"},
		{"purge absent", Spec{Layers: []Layer{{Debs: base}, {Purge: []string{"netbase"}}}}, "not installed"},
		{"opaque file", Spec{Layers: []Layer{{Debs: base}, {Opaque: []string{"etc/issue"}}}}, "not a directory"},
		{"empty file path", Spec{Layers: []Layer{{Files: []File{{Path: "/"}}}}}, "empty path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build: %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestFindDebs(t *testing.T) {
	_, err := FindDebs("testdata", "netbase", "no-such-package")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("FindDebs missing: %v, want ErrNotExist", err)
	}
}

func BenchmarkBuild(b *testing.B) {
	files, err := FindDebs("testdata", "base-files", "netbase", "ruby-sdbm", "node-ms")
	if err != nil {
		b.Fatal(err)
	}
	spec := Spec{Layers: []Layer{{Debs: files[:2]}, {Debs: files[2:]}}}
	for b.Loop() {
		im, err := Build(context.Background(), spec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := im.Image.Digest(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCommittedSample checks that the quick-start sample image and its
// expected inventory, both written by cmd/mksample, agree.
func TestCommittedSample(t *testing.T) {
	const dir = "../../testdata/images/"
	b, err := os.ReadFile(dir + "sample-debian.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp Expected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(dir+"sample-debian.tar", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"config " + exp.ImageID}
	for _, l := range exp.Layers {
		want = append(want, "layer "+l.Digest+" "+l.DiffID)
	}
	if diff := cmp.Diff(want, digests(t, img)); diff != "" {
		t.Errorf("sample image vs expected.json (-expected +image):\n%s\nrerun: go run ./internal/testimage/cmd/mksample", diff)
	}
	if len(exp.Packages) == 0 || len(exp.Removed) == 0 || len(exp.WhitedOut) == 0 {
		t.Errorf("expected.json has %d packages, %d removed, %d whited out; want some of each",
			len(exp.Packages), len(exp.Removed), len(exp.WhitedOut))
	}
}
