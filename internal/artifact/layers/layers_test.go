package layers

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/artifact"
)

func reg(p, body string) artifact.Entry {
	return artifact.Entry{Path: p, Mode: 0o644, Size: int64(len(body)), Linkname: body} // Linkname carries the body for retain
}
func dir(p string) artifact.Entry { return artifact.Entry{Path: p, Mode: fs.ModeDir | 0o755} }
func link(p, target string) artifact.Entry {
	return artifact.Entry{Path: p, Mode: fs.ModeSymlink | 0o777, Linkname: target}
}
func hard(p, target string) artifact.Entry {
	return artifact.Entry{Path: p, Mode: 0o644, Linkname: target, Hardlink: true}
}
func wh(p string) artifact.Entry  { return artifact.Entry{Path: p, Whiteout: artifact.FileWhiteout} }
func opq(p string) artifact.Entry { return artifact.Entry{Path: p, Whiteout: artifact.OpaqueWhiteout} }

// build merges layers and retains every regular file's content (the
// body is passed in Linkname by file and moved out here).
func build(layers ...[]artifact.Entry) *Tree {
	bodies := map[[2]any]string{}
	clean := make([][]artifact.Entry, len(layers))
	for i, l := range layers {
		for _, e := range l {
			if e.Mode.IsRegular() && !e.Hardlink && e.Whiteout == artifact.NoWhiteout {
				bodies[[2]any{i, e.Path}] = e.Linkname
				e.Linkname = ""
			}
			clean[i] = append(clean[i], e)
		}
	}
	t := Merge(clean)
	for k, body := range bodies {
		t.Retain(k[1].(string), k[0].(int), []byte(body))
	}
	return t
}

// listing is "path layer type" for every node, in walk order.
func listing(t *Tree) []string {
	var out []string
	t.Walk(func(n *Node) error {
		kind := "f"
		switch {
		case n.Mode.IsDir():
			kind = "d"
		case n.Mode&fs.ModeSymlink != 0:
			kind = "l"
		case n.Hardlink:
			kind = "h"
		}
		out = append(out, n.Path+" "+kind+string(rune('0'+n.Layer)))
		return nil
	})
	return out
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]artifact.Entry
		want   []string
	}{
		{"implicit parents", [][]artifact.Entry{{reg("a/b/c", "x")}},
			[]string{"a d0", "a/b d0", "a/b/c f0"}},
		{"file whiteout", [][]artifact.Entry{{reg("a/x", "1"), reg("a/y", "2")}, {wh("a/x")}},
			[]string{"a d0", "a/y f0"}},
		{"whiteout of a directory removes its tree", [][]artifact.Entry{{reg("a/b/c", "1"), reg("k", "2")}, {wh("a")}},
			[]string{"k f0"}},
		{"whiteout affects lower layers only", [][]artifact.Entry{{reg("a/x", "1")}, {wh("a/x"), reg("a/x", "2")}},
			[]string{"a d0", "a/x f1"}},
		{"whiteout then re-add in a later layer", [][]artifact.Entry{{reg("x", "1")}, {wh("x")}, {reg("x", "3")}},
			[]string{"x f2"}},
		{"whiteout of a missing path", [][]artifact.Entry{{reg("x", "1")}, {wh("nope/y")}},
			[]string{"x f0"}},
		{"opaque directory", [][]artifact.Entry{{reg("d/old", "1"), reg("d/sub/old", "1"), reg("e", "1")}, {dir("d"), opq("d"), reg("d/new", "2")}},
			[]string{"d d1", "d/new f1", "e f0"}},
		{"opaque keeps its own layer's entries whatever their order", [][]artifact.Entry{{reg("d/old", "1")}, {reg("d/new", "2"), opq("d")}},
			[]string{"d d0", "d/new f1"}},
		{"opaque at the root", [][]artifact.Entry{{reg("a", "1"), reg("b/c", "1")}, {opq("."), reg("z", "2")}},
			[]string{"z f1"}},
		{"file replaces directory", [][]artifact.Entry{{reg("p/q", "1")}, {reg("p", "2")}},
			[]string{"p f1"}},
		{"directory replaces file", [][]artifact.Entry{{reg("p", "1")}, {dir("p"), reg("p/q", "2")}},
			[]string{"p d1", "p/q f1"}},
		{"implicit directory replaces file", [][]artifact.Entry{{reg("p", "1")}, {reg("p/q", "2")}},
			[]string{"p d1", "p/q f1"}},
		{"directory over directory keeps contents", [][]artifact.Entry{{reg("d/a", "1")}, {dir("d"), reg("d/b", "2")}},
			[]string{"d d1", "d/a f0", "d/b f1"}},
		{"symlink replaces directory", [][]artifact.Entry{{reg("lib/x", "1")}, {link("lib", "usr/lib")}},
			[]string{"lib l1"}},
		{"hard link", [][]artifact.Entry{{reg("a", "1"), hard("b", "a")}},
			[]string{"a f0", "b h0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, listing(build(tc.layers...))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	tree := build(
		[]artifact.Entry{
			dir("usr/lib"), reg("usr/lib/os-release", "ID=debian\n"), reg("usr/bin/sh", "sh"),
			link("lib", "usr/lib"),  // relative
			link("bin", "/usr/bin"), // absolute: from the root
			link("etc/os-release", "../usr/lib/os-release"),
			link("escape", "../../../../usr/lib"),   // ".." clamped at the root
			link("abs-escape", "/../../usr/bin/sh"), // likewise
			link("chain/a", "b"), link("chain/b", "c"), link("chain/c", "/usr/bin/sh"),
			link("loop/a", "b"), link("loop/b", "a"),
			link("self", "self"),
			link("dangling", "nowhere"),
			link("up", ".."),
			link("usr/lib/dot", "."),
		},
	)
	tests := []struct {
		path, want string
		err        error
	}{
		{"lib/os-release", "usr/lib/os-release", nil},
		{"bin/sh", "usr/bin/sh", nil},
		{"/bin/sh", "usr/bin/sh", nil},
		{"etc/os-release", "usr/lib/os-release", nil},
		{"escape/os-release", "usr/lib/os-release", nil},
		{"abs-escape", "usr/bin/sh", nil},
		{"chain/a", "usr/bin/sh", nil},
		{"dangling", "nowhere", nil},
		{"up/usr/bin/sh", "usr/bin/sh", nil},
		{"usr/lib/dot/dot/dot/os-release", "usr/lib/os-release", nil},
		{"../../../usr/bin/sh", "usr/bin/sh", nil},
		{"loop/a", "", ErrLoop},
		{"self", "", ErrLoop},
		{"loop/a/x", "", ErrLoop},
		{".", ".", nil},
		{"", ".", nil},
	}
	for _, tc := range tests {
		got, err := tree.Resolve(tc.path)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Resolve(%q) = %q, %v; want %v", tc.path, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	// Lookup does not follow the last link; ReadLink gives the raw target.
	if n := tree.Lookup("abs-escape"); n == nil || n.Mode&fs.ModeSymlink == 0 {
		t.Errorf("Lookup(abs-escape) = %+v", n)
	}
	if target, err := tree.ReadLink("abs-escape"); err != nil || target != "/../../usr/bin/sh" {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	if b, err := fs.ReadFile(tree, "escape/os-release"); err != nil || string(b) != "ID=debian\n" {
		t.Errorf("ReadFile through clamped link = %q, %v", b, err)
	}
	if _, err := tree.Open("loop/a"); !errors.Is(err, ErrLoop) {
		t.Errorf("Open(loop) err = %v", err)
	}
	if _, err := tree.Stat("dangling"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(dangling) err = %v", err)
	}
	if fi, err := tree.Lstat("dangling"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(dangling) = %v, %v", fi, err)
	}
}

func TestContent(t *testing.T) {
	tree := build(
		[]artifact.Entry{reg("etc/a", "lower"), reg("etc/keep", "k"), reg("big", "not kept")},
		[]artifact.Entry{reg("etc/a", "upper"), hard("etc/b", "etc/a")},
	)
	tests := []struct {
		path, want string
		err        error
	}{
		{"etc/a", "upper", nil},
		{"etc/b", "upper", nil}, // a hard link reads its target
		{"etc/keep", "k", nil},
		{"etc/missing", "", fs.ErrNotExist},
		{"../etc/a", "", fs.ErrInvalid},
	}
	for _, tc := range tests {
		b, err := fs.ReadFile(tree, tc.path)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ReadFile(%q) err = %v, want %v", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || string(b) != tc.want {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", tc.path, b, err, tc.want)
		}
	}
	// Retain for a layer whose version is not visible is ignored.
	tree.Retain("etc/a", 0, []byte("stale"))
	if b, _ := fs.ReadFile(tree, "etc/a"); string(b) != "upper" {
		t.Errorf("stale retain won: %q", b)
	}
	unkept := Merge([][]artifact.Entry{{reg("x", "")}})
	if _, err := unkept.Open("x"); !errors.Is(err, ErrNotRetained) {
		t.Errorf("unretained: err = %v", err)
	}
	if got, want := tree.Origin("etc/a"), 1; got != want {
		t.Errorf("Origin = %d, want %d", got, want)
	}
	if got := tree.Origin("nope"); got != -1 {
		t.Errorf("Origin(nope) = %d", got)
	}
	if fi, err := tree.Stat("etc/b"); err != nil || fi.Size() != int64(len("upper")) {
		t.Errorf("Stat(hard link) = %v, %v; want the target's size", fi, err)
	}
}

// realEntries reads the Debian hostname data tar (as in
// internal/artifact/testdata) into entries and contents, as the layer
// walk would give them.
func realEntries(t *testing.T) ([]artifact.Entry, map[string][]byte) {
	b, err := os.ReadFile("../testdata/hostname-data.tar")
	if err != nil {
		t.Fatal(err)
	}
	var es []artifact.Entry
	data := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return es, data
		}
		if err != nil {
			t.Fatal(err)
		}
		p := strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		if p == "" {
			continue
		}
		e := artifact.Entry{Path: p, Mode: h.FileInfo().Mode(), Size: h.Size, Linkname: h.Linkname, Mtime: h.ModTime}
		if h.Typeflag != tar.TypeReg {
			e.Size = 0
		}
		if h.Typeflag == tar.TypeReg {
			data[p], _ = io.ReadAll(tr)
		}
		es = append(es, e)
	}
}

// TestFSConformance runs testing/fstest over a merged tree of the real
// Debian layer and an upper layer, with all content retained.
func TestFSConformance(t *testing.T) {
	base, data := realEntries(t)
	upper := []artifact.Entry{
		wh("bin/nisdomainname"),
		opq("usr/share/man"),
		dir("usr/share/man/man8"),
		{Path: "usr/share/man/man8/x.8", Mode: 0o644, Size: 3},
		{Path: "etc/hostname", Mode: 0o644, Size: 4},
		{Path: "etc/hostname2", Mode: 0o644, Hardlink: true, Linkname: "etc/hostname"},
		link("usr/bin", "/bin"),
	}
	tree := Merge([][]artifact.Entry{base, upper})
	for p, b := range data {
		tree.Retain(p, 0, b)
	}
	tree.Retain("usr/share/man/man8/x.8", 1, []byte("x.8"))
	tree.Retain("etc/hostname", 1, []byte("box\n"))

	var want []string
	for _, e := range base {
		if !strings.HasPrefix(e.Path, "usr/share/man/") && e.Path != "bin/nisdomainname" && e.Path != "usr/share/man" {
			want = append(want, e.Path)
		}
	}
	want = append(want, "usr/share/man", "usr/share/man/man8/x.8", "etc/hostname", "etc/hostname2", "usr/bin")
	slices.Sort(want)
	if err := fstest.TestFS(tree, want...); err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(tree, "usr/bin/hostname"); err != nil || !bytes.Equal(b, data["bin/hostname"]) {
		t.Errorf("through usr/bin -> /bin: %d bytes, %v", len(b), err)
	}
}

func BenchmarkMerge(b *testing.B) {
	var layers [][]artifact.Entry
	for l := range 10 {
		var es []artifact.Entry
		for i := range 5000 {
			es = append(es, artifact.Entry{Path: "usr/share/doc/pkg" + string(rune('a'+i%26)) + "/f" + strings.Repeat("x", i%7) + string(rune('0'+l)), Mode: 0o644})
		}
		layers = append(layers, es)
	}
	for b.Loop() {
		Merge(layers)
	}
}

// TestHopLimit: Linux follows 40 links (MAXSYMLINKS) and refuses the 41st.
func TestHopLimit(t *testing.T) {
	chain := func(n int) *Tree {
		es := []artifact.Entry{reg("target", "t")}
		for i := range n {
			next := "target"
			if i+1 < n {
				next = "l" + strconv.Itoa(i+1)
			}
			es = append(es, link("l"+strconv.Itoa(i), next))
		}
		return build(es)
	}
	if got, err := chain(40).Resolve("l0"); err != nil || got != "target" {
		t.Errorf("40 links: %q, %v", got, err)
	}
	if _, err := chain(41).Resolve("l0"); !errors.Is(err, ErrLoop) {
		t.Errorf("41 links: err = %v, want ErrLoop", err)
	}
}
