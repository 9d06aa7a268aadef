package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/inventory"
)

// wantTop is what walking topLayer must give: written out by hand.
func wantTop(t testing.TB) []walked {
	osr := readTestdata(t, "os-release")
	return []walked{
		{Path: "etc", Mode: fs.ModeDir | 0o755},
		{Path: "etc/os-release", Mode: 0o644, Size: int64(len(osr)), Sum: digestHex(osr)[:12]},
		{Path: "usr/lib/os-release", Mode: 0o644, Link: "etc/os-release", Hardlink: true},
		{Path: "bin/domainname", Mode: 0o644, Whiteout: FileWhiteout},
		{Path: "usr/share/man/man1", Mode: 0o644, Whiteout: OpaqueWhiteout},
		{Path: "usr/share/man/man1/new.1", Mode: 0o644, Size: 10, Sum: digestHex([]byte(".TH NEW 1\n"))[:12]},
		{Path: "usr/bin/passwd", Mode: fs.ModeSetuid | 0o755, Size: 15, Sum: digestHex([]byte("\x7fELF not really"))[:12]},
		{Path: "home/user", Mode: fs.ModeDir | 0o700, UID: 1000, GID: 1000},
		{Path: "etc/shadow-link", Mode: fs.ModeSymlink | 0o644, Link: "/../../../etc/shadow"},
		{Path: "loop/a", Mode: fs.ModeSymlink | 0o644, Link: "b"},
		{Path: "loop/b", Mode: fs.ModeSymlink | 0o644, Link: "a"},
	}
}

func layerIDs(t testing.TB, img v1.Image) []inventory.Layer {
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	created := []string{testHistory[0].CreatedBy, testHistory[2].CreatedBy}
	var out []inventory.Layer
	for i, l := range ls {
		d, _ := l.Digest()
		diff, _ := l.DiffID()
		out = append(out, inventory.Layer{Index: i, Digest: d.String(), DiffID: diff.String(), CreatedBy: created[i]})
	}
	return out
}

// TestOpenForms writes the same image in every form pave reads and
// checks that each opens to the same reference, config, layers and entries.
func TestOpenForms(t *testing.T) {
	gz := gzipImage(t)
	plain := plainImage(t)
	zst := zstdImage(t, amd64)
	digestOf := func(img v1.Image) string { d, _ := img.Digest(); return d.String() }
	configOf := func(img v1.Image) string { d, _ := img.ConfigName(); return d.String() }

	tests := []struct {
		name   string
		target string
		img    v1.Image
		ref    Ref // Kind and Name filled in below
	}{
		{"docker-archive (go-containerregistry)", writeDockerArchive(t, gz), gz,
			Ref{Kind: DockerArchive, ImageID: configOf(gz), Platform: "linux/amd64", RepoTags: []string{testTag}}},
		{"docker-archive (legacy docker save)", writeLegacyDockerSave(t, plain, [][]byte{baseLayer(t), topLayer(t)}), plain,
			Ref{Kind: DockerArchive, ImageID: configOf(plain), Platform: "linux/amd64", RepoTags: []string{"other:1", testTag}}},
		{"docker-archive (Docker 25+)", writeDocker25Save(t, plain), plain,
			Ref{Kind: DockerArchive, Digest: digestOf(plain), ImageID: configOf(plain), Platform: "linux/amd64", RepoTags: []string{testTag}}},
		{"oci-layout", writeLayout(t, map[string]v1.Image{"1": gz}, nil), gz,
			Ref{Kind: OCILayout, Digest: digestOf(gz), ImageID: configOf(gz), Platform: "linux/amd64"}},
		{"oci-layout zstd", writeLayout(t, map[string]v1.Image{"1": zst}, nil), zst,
			Ref{Kind: OCILayout, Digest: digestOf(zst), ImageID: configOf(zst), Platform: "linux/amd64"}},
		{"oci-archive", tarDir(t, writeLayout(t, map[string]v1.Image{"1": gz}, nil), nil), gz,
			Ref{Kind: OCIArchive, Digest: digestOf(gz), ImageID: configOf(gz), Platform: "linux/amd64"}},
	}
	base := tarListing(t, baseLayer(t))
	if len(base) < 15 {
		t.Fatalf("base layer lists %d entries", len(base))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(context.Background(), tc.target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			tc.ref.Name = tc.target
			if diff := cmp.Diff(tc.ref, src.Ref()); diff != "" {
				t.Errorf("Ref (-want +got):\n%s", diff)
			}
			cfg := src.(Configured).Config()
			if cfg == nil || cfg.Config.User != "1000" || len(cfg.Config.Env) != 2 {
				t.Errorf("config = %+v", cfg)
			}
			ls, err := src.Layers(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var infos []inventory.Layer
			for _, l := range ls {
				infos = append(infos, l.Info())
			}
			if diff := cmp.Diff(layerIDs(t, tc.img), infos); diff != "" {
				t.Errorf("layers (-want +got):\n%s", diff)
			}
			for i, want := range [][]walked{base, wantTop(t)} {
				got, err := walkLayer(t, ls[i])
				if err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("layer %d entries (-want +got):\n%s", i, diff)
				}
			}
			// A second walk gives the same entries.
			again, err := walkLayer(t, ls[1])
			if err != nil || len(again) != len(wantTop(t)) {
				t.Errorf("second walk: %d entries, %v", len(again), err)
			}
		})
	}
}

// TestLegacyRepeatedLayer: docker save writes a repeated layer once and
// links the second copy to it.
func TestLegacyRepeatedLayer(t *testing.T) {
	base := baseLayer(t)
	img := buildImage(t, amd64, staticLayer(base), staticLayer(topLayer(t)), staticLayer(base))
	p := writeLegacyDockerSave(t, img, [][]byte{base, topLayer(t), base})
	src, err := Open(context.Background(), "docker-archive:"+p+":"+testTag, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ls, _ := src.Layers(context.Background())
	if len(ls) != 3 || ls[0].Info().DiffID != ls[2].Info().DiffID {
		t.Fatalf("layers: %+v", ls)
	}
	got, err := walkLayer(t, ls[2])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tarListing(t, base), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Open(context.Background(), "docker-archive:"+p+":nosuch:tag", Options{}); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "other:1") {
		t.Errorf("unknown tag: err = %v", err)
	}
}

// TestPlatformSelection opens a multi-platform layout.
func TestPlatformSelection(t *testing.T) {
	arm := v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	imgs := map[string]v1.Image{"amd": zstdImage(t, amd64), "arm": zstdImage(t, arm)}
	dir := writeLayout(t, imgs, map[string]*v1.Platform{"amd": &amd64, "arm": &arm})
	hostArch := hostPlatform().Architecture
	tests := []struct {
		platform, ref string
		want          string // platform of the opened image; "" for an error
	}{
		{"linux/arm64", "", "linux/arm64/v8"},
		{"linux/arm64/v8", "", "linux/arm64/v8"},
		{"linux/amd64", "", "linux/amd64"},
		{"linux/s390x", "", ""},
		{"", "arm", "linux/arm64/v8"},
		{"", "nosuch", ""},
	}
	if hostArch == "amd64" || hostArch == "arm64" {
		want := map[string]string{"amd64": "linux/amd64", "arm64": "linux/arm64/v8"}[hostArch]
		tests = append(tests, struct{ platform, ref, want string }{"", "", want})
	}
	for _, tc := range tests {
		target := "oci:" + dir
		if tc.ref != "" {
			target += ":" + tc.ref
		}
		src, err := Open(context.Background(), target, Options{Platform: tc.platform})
		if tc.want == "" {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s %s: err = %v, want ErrNotFound", target, tc.platform, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", target, tc.platform, err)
			continue
		}
		if got := src.Ref().Platform; got != tc.want {
			t.Errorf("%s %s: platform %s, want %s", target, tc.platform, got, tc.want)
		}
		src.Close()
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := write("notes.txt", []byte("just some text, not an image\n"))
	noManifest := write("nomanifest.tar", tarOf(t, []tfile{{name: "hello.txt", body: "hi"}}))
	badJSON := write("badjson.tar", tarOf(t, []tfile{{name: "manifest.json", body: "[{"}}))
	missingBlob := write("missingblob.tar", tarOf(t, []tfile{
		{name: "manifest.json", body: `[{"Config":"c.json","Layers":["gone/layer.tar"]}]`},
		{name: "c.json", body: `{"rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("a", 64) + `"]}}`},
	}))
	diffMismatch := write("diffmismatch.tar", tarOf(t, []tfile{
		{name: "manifest.json", body: `[{"Config":"c.json","Layers":["l/layer.tar"]}]`},
		{name: "c.json", body: `{"rootfs":{"type":"layers","diff_ids":[]}}`},
		{name: "l/layer.tar", body: string(baseLayer(t))},
	}))
	escape := write("escape.tar", tarOf(t, []tfile{{name: "manifest.json", body: `[{"Config":"../../etc/passwd","Layers":[]}]`}}))
	gzipped := write("image.tar.gz", gzBytes(t, readFile(t, writeDockerArchive(t, gzipImage(t)))))
	ociNoIndex := write("oci.tar", tarOf(t, []tfile{{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`}}))

	tests := []struct {
		target  string
		want    error
		message string
	}{
		{filepath.Join(dir, "missing.tar"), ErrNotFound, "no such file"},
		{"docker-archive:" + filepath.Join(dir, "missing.tar"), ErrNotFound, "missing.tar"},
		{text, ErrUnknownFormat, "not an image archive"},
		{noManifest, ErrUnknownFormat, "neither manifest.json"},
		{"docker-archive:" + noManifest, ErrCorrupt, "manifest.json is missing"},
		{"oci-archive:" + ociNoIndex, ErrCorrupt, "index.json is missing"},
		{badJSON, ErrCorrupt, "parse manifest.json"},
		{missingBlob, ErrCorrupt, "blob gone/layer.tar is missing"},
		{diffMismatch, ErrCorrupt, "0 diff ids for 1 layers"},
		{escape, ErrHostile, "escapes the root"},
		{gzipped, ErrUnknownFormat, "decompress it first"},
		{"", ErrUnknownFormat, "empty target"},
	}
	for _, tc := range tests {
		src, err := Open(context.Background(), tc.target, Options{})
		if err == nil {
			src.Close()
		}
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
			t.Errorf("Open(%s): err = %v, want %v mentioning %q", filepath.Base(tc.target), err, tc.want, tc.message)
		}
	}
}

// TestLayerErrors: damaged and hostile layers fail their walk with a
// classified error; the image still opens.
func TestLayerErrors(t *testing.T) {
	base := baseLayer(t)
	goodGz := gzBytes(t, base)
	tests := []struct {
		name    string
		blob    []byte
		diffID  []byte // the uncompressed content the config names
		lim     Limits
		want    error
		message string
	}{
		{"truncated gzip", goodGz[:len(goodGz)/2], base, Limits{}, ErrCorrupt, "unexpected EOF in gzip stream"},
		{"diff id mismatch", gzBytes(t, topLayer(t)), base, Limits{}, ErrCorrupt, "digest"},
		{"dotdot member", tarOf(t, []tfile{{name: "../../../../tmp/evil", body: "x"}}), nil, Limits{}, ErrHostile, "escapes the root"},
		{"whiteout of dotdot", tarOf(t, []tfile{{name: "a/.wh.."}}), nil, Limits{}, ErrHostile, "names no file"},
		{"entries", base, base, Limits{MaxEntries: 3}, ErrHostile, "more than 3 entries"},
		{"layer bytes", base, base, Limits{MaxLayerBytes: 4096}, ErrHostile, "more than 4096 bytes"},
		{"total bytes", base, base, Limits{MaxTotalBytes: 4096}, ErrHostile, "image holds more than 4096"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.diffID == nil {
				tc.diffID = tc.blob
			}
			p := writeOneLayerArchive(t, tc.blob, tc.diffID)
			src, err := Open(context.Background(), p, Options{Limits: tc.lim})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			ls, _ := src.Layers(context.Background())
			_, err = walkLayer(t, ls[0])
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.message)
			}
		})
	}
}

// writeOneLayerArchive writes a docker-archive holding blob as its only
// layer, with a config whose diff id is the digest of diffContent.
func writeOneLayerArchive(t testing.TB, blob, diffContent []byte) string {
	cfg := fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}`, digestHex(diffContent))
	p := filepath.Join(t.TempDir(), "one.tar")
	err := os.WriteFile(p, tarOf(t, []tfile{
		{name: "manifest.json", body: `[{"Config":"config.json","Layers":["layer/layer.tar"]}]`},
		{name: "config.json", body: cfg},
		{name: "layer/layer.tar", body: string(blob)},
	}), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWalkControl: SkipAll stops, SkipDir skips a directory, and content
// cannot be read after the callback.
func TestWalkControl(t *testing.T) {
	src, err := Open(context.Background(), writeDockerArchive(t, gzipImage(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ls, _ := src.Layers(context.Background())
	var n int
	err = ls[0].Walk(context.Background(), func(e *Entry) error {
		n++
		if n == 3 {
			return fs.SkipAll
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("SkipAll: %d entries, %v", n, err)
	}
	var paths []string
	err = ls[0].Walk(context.Background(), func(e *Entry) error {
		paths = append(paths, e.Path)
		if e.Path == "usr/share" {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil || strings.Contains(strings.Join(paths, " "), "usr/share/") || !strings.Contains(strings.Join(paths, " "), "bin/hostname") {
		t.Errorf("SkipDir: %v, %v", paths, err)
	}
	var kept io.ReadCloser
	err = ls[0].Walk(context.Background(), func(e *Entry) error {
		if e.Path == "bin/hostname" {
			kept, _ = e.Open()
		}
		return nil
	})
	if err != nil || kept == nil {
		t.Fatalf("walk: %v", err)
	}
	if _, err := kept.Read(make([]byte, 10)); err == nil {
		t.Error("content readable after the walk moved on")
	}
	boom := errors.New("stop")
	if err := ls[0].Walk(context.Background(), func(*Entry) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ls[0].Walk(ctx, func(*Entry) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestHistoryMapping checks CreatedBy against empty_layer entries.
func TestHistoryMapping(t *testing.T) {
	h := func(s string, empty bool) v1.History { return v1.History{CreatedBy: s, EmptyLayer: empty} }
	diff := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}
	tests := []struct {
		name    string
		history []v1.History
		layers  int
		want    []string
	}{
		{"empty between", []v1.History{h("a", false), h("env", true), h("b", false)}, 2, []string{"a", "b"}},
		{"empty first and last", []v1.History{h("arg", true), h("a", false), h("cmd", true)}, 1, []string{"a"}},
		{"no history", nil, 2, []string{"", ""}},
		{"too few entries", []v1.History{h("a", false)}, 2, []string{"", ""}},
		{"too many entries", []v1.History{h("a", false), h("b", false), h("c", false)}, 2, []string{"", ""}},
	}
	for _, tc := range tests {
		cfg := &v1.ConfigFile{History: tc.history}
		digests := make([]string, tc.layers)
		for range tc.layers {
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diff)
		}
		infos, err := layerInfos(cfg, digests)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, in := range infos {
			got = append(got, in.CreatedBy)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestSparseLayer: a layer with a 10 GiB sparse file walks cheaply.
func TestSparseLayer(t *testing.T) {
	layer := append(gnuSparseMember("var/log/lastlog", 10<<30, []byte("x")), tarOf(t, []tfile{{name: "etc/hostname", body: "box\n"}})...)
	p := writeOneLayerArchive(t, layer, layer)
	src, err := Open(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ls, _ := src.Layers(context.Background())
	var sizes []int64
	err = ls[0].Walk(context.Background(), func(e *Entry) error { sizes = append(sizes, e.Size); return nil })
	if err != nil || len(sizes) != 2 || sizes[0] != 10<<30 {
		t.Fatalf("sizes %v, err %v", sizes, err)
	}
}

// gnuSparseMember is an old-GNU sparse member holding data at offset 0.
func gnuSparseMember(name string, realSize int64, data []byte) []byte {
	blk := make([]byte, 512)
	copy(blk, name)
	copy(blk[100:], "0000644\x00")
	copy(blk[108:], "0000000\x00")
	copy(blk[116:], "0000000\x00")
	copy(blk[124:], fmt.Sprintf("%011o\x00", len(data)))
	copy(blk[136:], "00000000000\x00")
	blk[156] = 'S'
	copy(blk[257:], "ustar  \x00")
	copy(blk[386:], fmt.Sprintf("%011o\x00", 0))
	copy(blk[398:], fmt.Sprintf("%011o\x00", len(data)))
	copy(blk[483:], fmt.Sprintf("%012o", realSize))
	copy(blk[148:], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:], fmt.Sprintf("%06o\x00 ", sum))
	out := append(blk, data...)
	return append(out, make([]byte, (512-len(data)%512)%512)...)
}

func readFile(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
