package safefs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// realTar is the data tar of Debian's hostname package
// (dpkg-deb --fsys-tarfile hostname_3.23+nmu1_amd64.deb).
func realTar(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/hostname-data.tar")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type tmember struct {
	name, link, body string
	typ              byte
	mode             int64
	size             int64 // when body is not the content
	pax              map[string]string
}

func mkTar(t testing.TB, ms []tmember) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Linkname: m.link, Typeflag: m.typ, Mode: m.mode, Size: int64(len(m.body)), PAXRecords: m.pax}
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
		if _, err := io.WriteString(tw, m.body); err != nil && h.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func zst(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

type gotEntry struct {
	Name, Link string
	Hardlink   bool
	Mode       fs.FileMode
	Size       int64
	Sum        string
}

// readAll walks the whole stream, reading every file.
func readAll(t testing.TB, data []byte, opts TarOptions) ([]gotEntry, error) {
	t.Helper()
	tr, err := NewTarReader(context.Background(), bytes.NewReader(data), opts)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	var out []gotEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, tr.Finish()
		}
		if err != nil {
			return out, err
		}
		g := gotEntry{Name: h.Name, Link: h.Linkname, Hardlink: h.Hardlink, Mode: h.Mode, Size: h.Size}
		if h.Mode.IsRegular() && !h.Hardlink {
			b, err := io.ReadAll(tr)
			if err != nil {
				return out, err
			}
			g.Sum = digest(b)[:15]
		}
		out = append(out, g)
	}
}

// TestRealLayerAllCompressions reads the real Debian data tar in each
// compression and compares with what archive/tar reads from it directly.
func TestRealLayerAllCompressions(t *testing.T) {
	plain := realTar(t)
	var want []gotEntry
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g := gotEntry{Name: strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/"), Link: h.Linkname, Mode: h.FileInfo().Mode(), Size: h.Size}
		if g.Name == "" {
			g.Name = "."
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			g.Sum = digest(b)[:15]
		} else {
			g.Size = 0
		}
		want = append(want, g)
	}
	if len(want) < 15 {
		t.Fatalf("testdata holds %d members, expected the hostname package", len(want))
	}
	for _, c := range []struct {
		name string
		data []byte
		comp Compression
	}{
		{"tar", plain, None},
		{"gzip", gz(t, plain), Gzip},
		{"zstd", zst(t, plain), Zstd},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := NewTarReader(context.Background(), bytes.NewReader(c.data), TarOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tr.Compression() != c.comp {
				t.Errorf("compression %v, want %v", tr.Compression(), c.comp)
			}
			tr.Close()
			got, err := readAll(t, c.data, TarOptions{DiffID: digest(plain), Limits: Limits{MaxEntries: 100, MaxBytes: 1 << 20, MaxRatio: 10, MaxPathLen: 200}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffIDMismatch(t *testing.T) {
	plain := realTar(t)
	_, err := readAll(t, gz(t, plain), TarOptions{DiffID: digest([]byte("other"))})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("err = %v, want a digest mismatch wrapping ErrCorrupt", err)
	}
}

func TestHostileAndCorrupt(t *testing.T) {
	plain := realTar(t)
	gzipped := gz(t, plain)
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		want    error  // sentinel
		message string // part of the error text
	}{
		{"dotdot name", mkTar(t, []tmember{{name: "../../etc/passwd", body: "x"}}), Limits{}, ErrHostile, "escapes the root"},
		{"dotdot in the middle", mkTar(t, []tmember{{name: "usr/../../x", body: "x"}}), Limits{}, ErrHostile, "escapes the root"},
		{"hard link out", mkTar(t, []tmember{{name: "a", typ: tar.TypeLink, link: "../../etc/shadow"}}), Limits{}, ErrHostile, "hard link a"},
		{"NUL in name", mkTar(t, []tmember{{name: "a", pax: map[string]string{"path": "a\x00b"}}}), Limits{}, nil, ""},
		{"long name", mkTar(t, []tmember{{name: strings.Repeat("d/", 100) + "f", body: "x"}}), Limits{MaxPathLen: 100}, ErrHostile, "over the 100-byte limit"},
		{"too many entries", plain, Limits{MaxEntries: 5}, ErrHostile, "more than 5 entries"},
		{"too many bytes", plain, Limits{MaxBytes: 10000}, ErrHostile, "more than 10000 bytes"},
		{"truncated gzip", gzipped[:len(gzipped)/2], Limits{}, ErrCorrupt, "unexpected EOF in gzip stream"},
		{"truncated gzip trailer", gzipped[:len(gzipped)-4], Limits{}, ErrCorrupt, "gzip stream"},
		{"truncated tar", plain[:len(plain)/2+100], Limits{}, ErrCorrupt, "unexpected EOF in tar stream"},
		{"corrupt tar header", corruptHeader(plain), Limits{}, ErrCorrupt, "tar stream"},
		{"bad gzip body", flipMiddle(gzipped), Limits{}, ErrCorrupt, "gzip stream"},
		{"xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, make([]byte, 100)...), Limits{}, ErrCorrupt, "xz compression is not supported"},
		{"empty", nil, Limits{}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.data, TarOptions{Limits: tc.lim})
			if tc.want == nil {
				// The NUL case: archive/tar itself stops at the NUL; either
				// way nothing escapes and nothing panics.
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %q, want it to mention %q", err, tc.message)
			}
		})
	}
}

func corruptHeader(b []byte) []byte {
	c := bytes.Clone(b)
	// Damage the checksum field of the second header (after the root
	// directory's single block).
	copy(c[512+148:], "zzzzzz")
	return c
}

func flipMiddle(b []byte) []byte {
	c := bytes.Clone(b)
	for i := len(c) / 3; i < len(c)/3+64; i++ {
		c[i] ^= 0x5a
	}
	return c
}

// TestCleanNames: absolute names are re-rooted, "./" and "a/../b" folded.
func TestCleanNames(t *testing.T) {
	data := mkTar(t, []tmember{
		{name: "/etc/passwd", body: "root"},
		{name: "./usr/bin/", typ: tar.TypeDir, mode: 0o755},
		{name: "usr/lib/../share/x", body: "x"},
		{name: "bin/sh", typ: tar.TypeSymlink, link: "/../../bin/dash"},
		{name: "bin/sh2", typ: tar.TypeLink, link: "/usr/share/x"},
		{name: "usr/bin/su", body: "su", mode: 0o4755},
		{name: "tmp", typ: tar.TypeDir, mode: 0o1777},
	})
	got, err := readAll(t, data, TarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []gotEntry{
		{Name: "etc/passwd", Mode: 0o644, Size: 4, Sum: digest([]byte("root"))[:15]},
		{Name: "usr/bin", Mode: fs.ModeDir | 0o755},
		{Name: "usr/share/x", Mode: 0o644, Size: 1, Sum: digest([]byte("x"))[:15]},
		{Name: "bin/sh", Link: "/../../bin/dash", Mode: fs.ModeSymlink | 0o644},
		{Name: "bin/sh2", Link: "usr/share/x", Hardlink: true, Mode: 0o644},
		{Name: "usr/bin/su", Mode: fs.ModeSetuid | 0o755, Size: 2, Sum: digest([]byte("su"))[:15]},
		{Name: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// bombStream writes a gzip-compressed tar holding one file of size zero
// bytes, lazily: nothing is stored, and the writer stops when the reader
// goes away.
func bombStream(size int64) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		err := tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
		zeros := make([]byte, 1<<20)
		for n := int64(0); err == nil && n < size; n += int64(len(zeros)) {
			_, err = tw.Write(zeros[:min(int64(len(zeros)), size-n)])
		}
		if err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// TestDecompressionBomb: 1 GiB of zeros (~1 MiB gzipped) is refused by
// the ratio bound soon after RatioFloor, without reading it all.
func TestDecompressionBomb(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lim     Limits
		message string
	}{
		{"ratio", Limits{MaxBytes: 32 << 30, MaxRatio: 200}, "decompression ratio over 200:1"},
		{"bytes", Limits{MaxBytes: 16 << 20}, "more than 16777216 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := bombStream(1 << 30)
			defer rc.Close()
			tr, err := NewTarReader(context.Background(), rc, TarOptions{Limits: tc.lim})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			if _, err := tr.Next(); err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, tr)
			if !errors.Is(err, ErrHostile) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v, want %q", err, tc.message)
			}
			if n > RatioFloor+(8<<20) {
				t.Errorf("read %d bytes before refusing", n)
			}
		})
	}
}

// TestDefaultEntryBound streams just over 500,000 empty files (the
// default bound of artifact.Limits) and expects the bound to hold.
func TestDefaultEntryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 250 MB of tar headers")
	}
	const bound = 500_000
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		var err error
		for i := 0; err == nil && i <= bound; i++ {
			err = tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f/%d", i), Mode: 0o644, Typeflag: tar.TypeReg})
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	tr, err := NewTarReader(context.Background(), pr, TarOptions{Limits: Limits{MaxEntries: bound}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err = tr.Next()
		if err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, ErrHostile) || n != bound {
		t.Fatalf("after %d entries: err = %v, want ErrHostile after %d", n, err, bound)
	}
}

// gnuSparse builds an old-GNU sparse tmember ('S'): realSize bytes of which
// only data at offset 0 is stored.
func gnuSparse(name string, realSize int64, data []byte) []byte {
	blk := make([]byte, 512)
	copy(blk[0:], name)
	copy(blk[100:], "0000644\x00")
	copy(blk[108:], "0000000\x00")
	copy(blk[116:], "0000000\x00")
	copy(blk[124:], fmt.Sprintf("%011o\x00", len(data)))
	copy(blk[136:], "00000000000\x00")
	blk[156] = 'S'
	copy(blk[257:], "ustar  \x00")
	// One sparse entry: offset 0, len(data) bytes.
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
	if pad := len(data) % 512; pad != 0 {
		out = append(out, make([]byte, 512-pad)...)
	}
	return out
}

// TestSparse: a 10 GiB GNU sparse file is skipped at no cost, and reading
// it is bounded.
func TestSparse(t *testing.T) {
	const tenGiB = 10 << 30
	data := bytes.Repeat([]byte("sparse!\n"), 512)
	stream := append(gnuSparse("var/log/lastlog", tenGiB, data), mkTar(t, []tmember{{name: "etc/after", body: "after"}})...)
	for _, c := range []struct {
		name string
		data []byte
	}{{"tar", stream}, {"gzip", gz(t, stream)}} {
		t.Run(c.name+"/skip", func(t *testing.T) {
			tr, err := NewTarReader(context.Background(), bytes.NewReader(c.data), TarOptions{Limits: Limits{MaxBytes: 1 << 20, MaxRatio: 200}})
			if err != nil {
				t.Fatal(err)
			}
			h, err := tr.Next()
			if err != nil {
				t.Fatal(err)
			}
			if h.Name != "var/log/lastlog" || !h.Sparse || h.Size != tenGiB || !h.Mode.IsRegular() {
				t.Fatalf("header = %+v", h)
			}
			h, err = tr.Next()
			if err != nil || h.Name != "etc/after" {
				t.Fatalf("next = %v, %v", h, err)
			}
			if _, err := tr.Next(); err != io.EOF {
				t.Fatalf("end: %v", err)
			}
			if err := tr.Finish(); err != nil {
				t.Fatal(err)
			}
			if tr.BytesOut() > 64<<10 {
				t.Errorf("read %d bytes to skip a sparse file", tr.BytesOut())
			}
		})
		t.Run(c.name+"/read", func(t *testing.T) {
			tr, err := NewTarReader(context.Background(), bytes.NewReader(c.data), TarOptions{Limits: Limits{MaxBytes: 32 << 30, MaxRatio: 200}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Next(); err != nil {
				t.Fatal(err)
			}
			head := make([]byte, len(data))
			if _, err := io.ReadFull(tr, head); err != nil || !bytes.Equal(head, data) {
				t.Fatalf("head: %v", err)
			}
			n, err := io.Copy(io.Discard, tr)
			if !errors.Is(err, ErrHostile) {
				t.Fatalf("reading 10 GiB of holes: err = %v after %d bytes", err, n)
			}
			if n > RatioFloor+(1<<20) {
				t.Errorf("read %d bytes before refusing", n)
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestSourceErrorsPassThrough: the source's own errors are not called
// corruption.
func TestSourceErrorsPassThrough(t *testing.T) {
	boom := errors.New("connection reset")
	plain := realTar(t)
	for _, data := range [][]byte{plain, gz(t, plain)} {
		r := io.MultiReader(bytes.NewReader(data[:len(data)/2]), errReader{boom})
		tr, err := NewTarReader(context.Background(), r, TarOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			if _, err = tr.Next(); err == nil {
				_, err = io.Copy(io.Discard, tr)
			}
		}
		if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
			t.Errorf("err = %v, want the source's error", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := readAllCtx(ctx, plain); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func readAllCtx(ctx context.Context, data []byte) (int, error) {
	tr, err := NewTarReader(ctx, bytes.NewReader(data), TarOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		if _, err := tr.Next(); err != nil {
			return n, err
		}
		n++
	}
}

func TestCharge(t *testing.T) {
	plain := realTar(t)
	var total int64
	stop := errors.New("budget")
	_, err := readAll(t, plain, TarOptions{Charge: func(n int64) error {
		total += n
		if total > 20000 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the charge error", err)
	}
}

func FuzzTarReader(f *testing.F) {
	plain := realTar(f)
	f.Add(plain)
	f.Add(gz(f, plain))
	f.Add(zst(f, plain[:4096]))
	f.Add(gnuSparse("s", 1<<20, []byte("abc")))
	f.Add(mkTar(f, []tmember{{name: "../x", body: "x"}, {name: "a", typ: tar.TypeLink, link: "b"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxEntries: 1000, MaxBytes: 8 << 20, MaxRatio: 1000, MaxPathLen: 4096}
		tr, err := NewTarReader(context.Background(), bytes.NewReader(data), TarOptions{Limits: lim})
		if err != nil {
			return
		}
		defer tr.Close()
		for {
			h, err := tr.Next()
			if err != nil {
				return
			}
			if h.Name == ".." || strings.HasPrefix(h.Name, "../") || strings.HasPrefix(h.Name, "/") {
				t.Fatalf("unsafe name %q", h.Name)
			}
			if h.Hardlink && (strings.HasPrefix(h.Linkname, "../") || strings.HasPrefix(h.Linkname, "/")) {
				t.Fatalf("unsafe hard link %q", h.Linkname)
			}
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return
			}
			if tr.BytesOut() > lim.MaxBytes+(1<<20) {
				t.Fatalf("read %d bytes past the bound", tr.BytesOut())
			}
		}
	})
}

// benchWalk reads every entry; throughput counts uncompressed bytes.
func benchWalk(b *testing.B, data []byte, plainSize int) {
	b.SetBytes(int64(plainSize))
	b.ReportAllocs()
	for b.Loop() {
		tr, err := NewTarReader(context.Background(), bytes.NewReader(data), TarOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := tr.Next(); err != nil {
				break
			}
			io.Copy(io.Discard, tr)
		}
		tr.Close()
	}
}

// bigLayer is the real data tar repeated under 64 prefixes (~2.6 MB).
func bigLayer(b *testing.B) []byte {
	plain := realTar(b)
	var ms []tmember
	for i := range 64 {
		tr := tar.NewReader(bytes.NewReader(plain))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			body, _ := io.ReadAll(tr)
			ms = append(ms, tmember{name: fmt.Sprintf("p%d/%s", i, h.Name), typ: h.Typeflag, link: h.Linkname, body: string(body), mode: h.Mode})
		}
	}
	return mkTar(b, ms)
}

func BenchmarkWalkTar(b *testing.B)  { l := bigLayer(b); benchWalk(b, l, len(l)) }
func BenchmarkWalkGzip(b *testing.B) { l := bigLayer(b); benchWalk(b, gz(b, l), len(l)) }
func BenchmarkWalkZstd(b *testing.B) { l := bigLayer(b); benchWalk(b, zst(b, l), len(l)) }
