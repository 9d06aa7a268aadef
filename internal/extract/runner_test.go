package extract

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/inventory"
)

// memEntry is a test layer entry; content for regular files.
type memEntry struct {
	path, content, link string
	hardlink            bool
	wh                  artifact.Whiteout
	dir                 bool
}

type memLayer struct {
	idx     int
	entries []memEntry
}

func (l *memLayer) Info() inventory.Layer {
	return inventory.Layer{Index: l.idx, Digest: fmt.Sprintf("sha256:%064d", l.idx), CreatedBy: fmt.Sprintf("RUN step %d", l.idx)}
}

func (l *memLayer) Walk(ctx context.Context, fn func(*artifact.Entry) error) error {
	for _, m := range l.entries {
		e := artifact.Entry{Path: m.path, Mode: 0o644, Size: int64(len(m.content)), Whiteout: m.wh}
		var open func() (io.ReadCloser, error)
		switch {
		case m.dir:
			e.Mode = fs.ModeDir | 0o755
		case m.hardlink:
			e.Hardlink, e.Linkname, e.Size = true, m.link, 0
		case m.link != "":
			e.Mode, e.Linkname = fs.ModeSymlink|0o777, m.link
		default:
			// Like a tar stream: an entry's content can be read once.
			r := strings.NewReader(m.content)
			open = func() (io.ReadCloser, error) { return io.NopCloser(r), nil }
		}
		if err := fn(artifact.NewEntry(e, open)); err != nil {
			return err
		}
	}
	return nil
}

type memSource struct{ layers []*memLayer }

func (s *memSource) Ref() artifact.Ref {
	return artifact.Ref{Kind: artifact.DockerArchive, Name: "mem"}
}
func (s *memSource) Close() error { return nil }
func (s *memSource) Layers(context.Context) ([]artifact.Layer, error) {
	out := make([]artifact.Layer, len(s.layers))
	for i, l := range s.layers {
		l.idx = i
		out[i] = l
	}
	return out, nil
}

func src(layers ...[]memEntry) *memSource {
	s := &memSource{}
	for _, l := range layers {
		s.layers = append(s.layers, &memLayer{entries: l})
	}
	return s
}

// lineExtractor reads "*.pkgs" files: one "name version" per line; a line
// "PANIC" panics and a line "ERR" fails after the lines before it.
type lineExtractor struct{ finished map[string]string }

func (lineExtractor) Name() string { return "test/lines" }
func (lineExtractor) Version() int { return 1 }
func (lineExtractor) Match(p string, _ fs.FileInfo) bool {
	return strings.HasSuffix(p, ".pkgs")
}
func (lineExtractor) Extract(_ context.Context, in *Input) ([]inventory.Package, error) {
	var out []inventory.Package
	sc := bufio.NewScanner(in.Reader)
	n := 0
	for sc.Scan() {
		n++
		switch f := strings.Fields(sc.Text()); {
		case len(f) == 1 && f[0] == "PANIC":
			panic("boom")
		case len(f) == 1 && f[0] == "ERR":
			return out, fmt.Errorf("line %d: bad", n)
		case len(f) == 2:
			out = append(out, inventory.Package{Name: f[0], Version: f[1], Ecosystem: inventory.Generic,
				Locations: []inventory.Location{{Line: n}}})
		}
	}
	return out, sc.Err()
}

// Wants and Finish make lineExtractor a Finisher: it reads "*.owner" files.
func (x lineExtractor) Wants(p string) bool { return strings.HasSuffix(p, ".owner") }
func (x lineExtractor) Finish(_ context.Context, view fs.FS, pkgs []*inventory.Package) error {
	return fs.WalkDir(view, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".owner") {
			return err
		}
		b, err := fs.ReadFile(view, p)
		if err != nil {
			return err
		}
		for _, pk := range pkgs {
			if pk.Name == strings.TrimSuffix(path.Base(p), ".owner") {
				pk.Files = strings.Fields(string(b))
			}
		}
		return nil
	})
}

type got struct {
	Name, Version, Path string
	Line, Layer         int
}

func summarize(res *Result) ([]got, []string) {
	var g []got
	for _, p := range res.Packages {
		for _, l := range p.Locations {
			layer := -1
			if l.Layer != nil {
				layer = l.Layer.Index
			}
			g = append(g, got{p.Name, p.Version, l.Path, l.Line, layer})
		}
	}
	var errs []string
	for _, e := range res.Errors {
		errs = append(errs, fmt.Sprintf("%s@%d: %s", e.Path, e.Layer, e.Message))
	}
	return g, errs
}

func TestRunner(t *testing.T) {
	tests := []struct {
		name     string
		src      *memSource
		cfg      Config
		want     []got
		wantErrs []string
	}{
		{
			name: "upper layer version wins",
			src: src(
				[]memEntry{{path: "app/a.pkgs", content: "x 1\ny 1\n"}},
				[]memEntry{{path: "app/a.pkgs", content: "x 2\n"}},
			),
			want: []got{{"x", "2", "app/a.pkgs", 1, 1}},
		},
		{
			name: "file whiteout deletes",
			src: src(
				[]memEntry{{path: "app/a.pkgs", content: "x 1\n"}, {path: "keep.pkgs", content: "k 1\n"}},
				[]memEntry{{path: "app/a.pkgs", wh: artifact.FileWhiteout}},
			),
			want: []got{{"k", "1", "keep.pkgs", 1, 0}},
		},
		{
			name: "opaque directory hides lower contents only",
			src: src(
				[]memEntry{{path: "app", dir: true}, {path: "app/a.pkgs", content: "x 1\n"}},
				[]memEntry{{path: "app", dir: true}, {path: "app/b.pkgs", content: "y 1\n"}, {path: "app", wh: artifact.OpaqueWhiteout}},
			),
			want: []got{{"y", "1", "app/b.pkgs", 1, 1}},
		},
		{
			name: "directory replaced by a file",
			src: src(
				[]memEntry{{path: "app/a.pkgs", content: "x 1\n"}},
				[]memEntry{{path: "app", content: "not a dir"}},
			),
		},
		{
			name: "panic and partial errors are located, the scan goes on",
			src: src([]memEntry{
				{path: "a.pkgs", content: "a 1\nPANIC\n"},
				{path: "b.pkgs", content: "b 1\nERR\nc 1\n"},
			}),
			want:     []got{{"b", "1", "b.pkgs", 1, 0}},
			wantErrs: []string{"a.pkgs@0: internal error in extractor: boom", "b.pkgs@0: line 2: bad"},
		},
		{
			name: "hard link in an upper layer is read through its target",
			src: src(
				[]memEntry{{path: "t/x.pkgs", content: "old 1\n"}},
				[]memEntry{{path: "t/x.pkgs", content: "h 1\n"}, {path: "u/link.pkgs", hardlink: true, link: "t/x.pkgs"}},
			),
			want: []got{{"h", "1", "t/x.pkgs", 1, 1}, {"h", "1", "u/link.pkgs", 1, 1}},
		},
		{
			// bzip2, bunzip2 and bzcat: one content, read once, for every link.
			name: "several hard links to one target all read it",
			src: src(
				[]memEntry{{path: "t/x.pkgs", content: "h 1\n"}, {path: "u/a.pkgs", hardlink: true, link: "t/x.pkgs"},
					{path: "u/b.pkgs", hardlink: true, link: "t/x.pkgs"}},
			),
			want: []got{{"h", "1", "t/x.pkgs", 1, 0}, {"h", "1", "u/a.pkgs", 1, 0}, {"h", "1", "u/b.pkgs", 1, 0}},
		},
		{
			name: "large files are spooled to disk and still parsed",
			src:  src([]memEntry{{path: "big.pkgs", content: "big 1\n" + strings.Repeat("#\n", 4096)}}),
			cfg:  Config{MemoryFileSize: 1024},
			want: []got{{"big", "1", "big.pkgs", 1, 0}},
		},
		{
			name:     "files over the size limit are file errors",
			src:      src([]memEntry{{path: "big.pkgs", content: "big 1\n" + strings.Repeat("#\n", 100)}}),
			cfg:      Config{MaxFileSize: 100},
			wantErrs: []string{"big.pkgs@0: file of 206 bytes is over the 100-byte limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Extractors = []Extractor{lineExtractor{}}
			cfg.TempDir = t.TempDir()
			res, err := NewRunner(cfg).Run(context.Background(), tt.src)
			if err != nil {
				t.Fatal(err)
			}
			g, errs := summarize(res)
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if left, _ := os.ReadDir(cfg.TempDir); len(left) != 0 {
				t.Errorf("temp files left behind: %v", left)
			}
			for _, p := range res.Packages {
				if p.Extractor != "test/lines" {
					t.Errorf("package %s: extractor %q", p.Name, p.Extractor)
				}
			}
		})
	}
}

func TestRunnerMaxEntries(t *testing.T) {
	var entries []memEntry
	for i := range 50 {
		entries = append(entries, memEntry{path: fmt.Sprintf("f%d", i), content: "x"})
	}
	_, err := NewRunner(Config{MaxEntries: 10}).Run(context.Background(), src(entries))
	if !errors.Is(err, ErrTooManyEntries) || !errors.Is(err, artifact.ErrHostile) {
		t.Fatalf("err = %v, want ErrTooManyEntries and ErrHostile", err)
	}
}

func TestRunnerFinisher(t *testing.T) {
	s := src(
		[]memEntry{{path: "db/x.pkgs", content: "pkgA 1\npkgB 1\n"}, {path: "db/pkgA.owner", content: "usr/bin/a usr/lib/a.so"}},
		[]memEntry{{path: "db/pkgB.owner", content: "usr/bin/b"}},
	)
	res, err := NewRunner(Config{Extractors: []Extractor{lineExtractor{}}}).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]string{}
	for _, p := range res.Packages {
		files[p.Name] = p.Files
	}
	want := map[string][]string{"pkgA": {"usr/bin/a", "usr/lib/a.so"}, "pkgB": {"usr/bin/b"}}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestRunnerDirSource(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/sub", 0o755)
	os.WriteFile(dir+"/sub/a.pkgs", []byte("d 1\n"), 0o644)
	os.Symlink("/etc/passwd", dir+"/sub/escape.pkgs")
	s, err := artifact.Open(context.Background(), "dir:"+dir, artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewRunner(Config{Extractors: []Extractor{lineExtractor{}}}).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	g, errs := summarize(res)
	if diff := cmp.Diff([]got{{"d", "1", "sub/a.pkgs", 1, -1}}, g); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(errs) != 0 || res.Layers != nil {
		t.Errorf("errs %v, layers %v", errs, res.Layers)
	}
	if !slices.ContainsFunc(res.Packages, func(p inventory.Package) bool { return p.Locations[0].Layer == nil }) {
		t.Error("directory packages should have no layer")
	}
}

func BenchmarkRunnerDir(b *testing.B) {
	dir := b.TempDir()
	for i := range 2000 {
		os.MkdirAll(fmt.Sprintf("%s/d%d", dir, i%50), 0o755)
		os.WriteFile(fmt.Sprintf("%s/d%d/f%d.pkgs", dir, i%50, i), []byte("p 1\nq 2\n"), 0o644)
		os.WriteFile(fmt.Sprintf("%s/d%d/f%d.txt", dir, i%50, i), []byte("nothing"), 0o644)
	}
	for b.Loop() {
		s, _ := artifact.Open(context.Background(), "dir:"+dir, artifact.Options{})
		if _, err := NewRunner(Config{Extractors: []Extractor{lineExtractor{}}}).Run(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRunnerAttributesIntroducingLayer(t *testing.T) {
	s := src(
		[]memEntry{{path: "db/x.pkgs", content: "base 1\nold 1\n"}},
		[]memEntry{{path: "other", content: "unrelated"}},
		[]memEntry{{path: "db/x.pkgs", content: "base 1\nold 2\nnew 1\n"}},
	)
	res, err := NewRunner(Config{Extractors: []Extractor{lineExtractor{}}}).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := summarize(res)
	want := []got{{"base", "1", "db/x.pkgs", 1, 0}, {"old", "2", "db/x.pkgs", 2, 2}, {"new", "1", "db/x.pkgs", 3, 2}}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}
