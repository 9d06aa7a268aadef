package safefs

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strings"
	"time"
)

// Limits bound what one stream can make a reader do. A zero field means no
// bound for that field; callers pass their defaults.
type Limits struct {
	MaxEntries int   // entries returned by Next
	MaxBytes   int64 // decompressed bytes read, plus sparse-hole bytes read
	// MaxRatio bounds decompressed / compressed bytes once more than
	// RatioFloor bytes have come out: a bomb is refused early, while a
	// small, very compressible layer is not.
	MaxRatio   int64
	MaxPathLen int // bytes in a member name or link target
}

// RatioFloor is the number of decompressed bytes below which the ratio
// bound is not applied.
const RatioFloor = 64 << 20

// TarOptions configure NewTarReader.
type TarOptions struct {
	Limits Limits
	// DiffID, when set ("sha256:<hex>"), is the digest of the decompressed
	// stream; Finish checks it.
	DiffID string
	// Charge, when set, is told of every decompressed byte as it is read,
	// so that a caller can bound several streams together. An error it
	// returns stops the reader.
	Charge func(n int64) error
}

// Header is one tar member, with its name made safe.
type Header struct {
	// Name is cleaned by Clean: relative, slash-separated, never above
	// the root; "." for the root itself.
	Name string
	// Linkname is a symlink's target as written (data: never followed by
	// safefs), or a hard link's target cleaned like Name.
	Linkname string
	Hardlink bool
	// Mode holds the type bits and the permission, setuid, setgid and
	// sticky bits.
	Mode    fs.FileMode
	Size    int64 // logical size: what a reader of the content gets
	UID     int
	GID     int
	ModTime time.Time
	// Sparse files (GNU or PAX sparse) hold holes that read as zeros.
	Sparse bool
	// Raw is the header as read, name uncleaned.
	Raw *tar.Header
}

// TarReader reads a tar stream, compressed or not, within Limits. Read
// returns the current member's content.
type TarReader struct {
	opts    TarOptions
	comp    Compression
	raw     *countReader
	dec     io.ReadCloser
	out     *limitReader
	tr      *tar.Reader
	entries int
	sparse  bool
	done    bool
	err     error
}

// NewTarReader starts reading r, detecting its compression by magic bytes.
// Reads of r check ctx.
func NewTarReader(ctx context.Context, r io.Reader, opts TarOptions) (*TarReader, error) {
	raw := &countReader{ctx: ctx, r: r}
	br := bufio.NewReaderSize(raw, 64<<10)
	c := DetectCompression(br)
	dec, err := decompressor(br, c)
	if err != nil {
		if raw.err != nil && raw.err != io.EOF {
			return nil, raw.err
		}
		return nil, err
	}
	t := &TarReader{opts: opts, comp: c, raw: raw, dec: dec}
	t.out = &limitReader{t: t, r: dec}
	if opts.DiffID != "" {
		alg, _, _ := strings.Cut(opts.DiffID, ":")
		if alg != "sha256" {
			dec.Close()
			return nil, fmt.Errorf("diff id %q: unsupported digest: %w", opts.DiffID, ErrCorrupt)
		}
		t.out.h = sha256.New()
	}
	t.tr = tar.NewReader(t.out)
	return t, nil
}

// Compression returns the stream's compression.
func (t *TarReader) Compression() Compression { return t.comp }

// BytesIn returns the number of compressed bytes read so far.
func (t *TarReader) BytesIn() int64 { return t.raw.n }

// BytesOut returns the number of decompressed bytes read so far.
func (t *TarReader) BytesOut() int64 { return t.out.n }

// Next advances to the next member and returns its header, or io.EOF at
// the end of the archive. Global PAX headers and unknown member types are
// skipped. Errors wrap ErrHostile or ErrCorrupt, or are the source's own
// read errors.
func (t *TarReader) Next() (*Header, error) {
	if t.err != nil {
		return nil, t.err
	}
	for {
		hdr, err := t.tr.Next()
		if err == io.EOF {
			t.done = true
			return nil, io.EOF
		}
		if err != nil {
			t.err = t.classify(err)
			return nil, t.err
		}
		h, skip, err := t.header(hdr)
		if err != nil {
			t.err = err
			return nil, err
		}
		if skip {
			continue
		}
		t.entries++
		if lim := t.opts.Limits.MaxEntries; lim > 0 && t.entries > lim {
			t.err = fmt.Errorf("more than %d entries: %w", lim, ErrHostile)
			return nil, t.err
		}
		t.sparse = h.Sparse
		return h, nil
	}
}

func (t *TarReader) header(hdr *tar.Header) (*Header, bool, error) {
	lim := t.opts.Limits.MaxPathLen
	if lim > 0 && (len(hdr.Name) > lim || len(hdr.Linkname) > lim) {
		return nil, false, fmt.Errorf("member name or link of %d bytes is over the %d-byte limit: %w",
			max(len(hdr.Name), len(hdr.Linkname)), lim, ErrHostile)
	}
	h := &Header{Size: hdr.Size, UID: hdr.Uid, GID: hdr.Gid, ModTime: hdr.ModTime, Raw: hdr}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeCont:
	case tar.TypeGNUSparse:
		h.Sparse = true
	case tar.TypeLink:
		h.Hardlink = true
		h.Size = 0
	case tar.TypeSymlink:
		h.Mode = fs.ModeSymlink
		h.Size = 0
	case tar.TypeDir:
		h.Mode = fs.ModeDir
		h.Size = 0
	case tar.TypeChar:
		h.Mode = fs.ModeDevice | fs.ModeCharDevice
		h.Size = 0
	case tar.TypeBlock:
		h.Mode = fs.ModeDevice
		h.Size = 0
	case tar.TypeFifo:
		h.Mode = fs.ModeNamedPipe
		h.Size = 0
	default:
		return nil, true, nil // global PAX header, GNU volume label, ...
	}
	if h.Size < 0 {
		return nil, false, fmt.Errorf("member %q: negative size: %w", hdr.Name, ErrCorrupt)
	}
	if _, ok := hdr.PAXRecords["GNU.sparse.major"]; ok {
		h.Sparse = true
	}
	if _, ok := hdr.PAXRecords["GNU.sparse.map"]; ok {
		h.Sparse = true
	}
	h.Mode |= fs.FileMode(hdr.Mode & 0o777)
	if hdr.Mode&0o4000 != 0 {
		h.Mode |= fs.ModeSetuid
	}
	if hdr.Mode&0o2000 != 0 {
		h.Mode |= fs.ModeSetgid
	}
	if hdr.Mode&0o1000 != 0 {
		h.Mode |= fs.ModeSticky
	}
	name, err := Clean(hdr.Name)
	if err != nil {
		return nil, false, err
	}
	h.Name = name
	h.Linkname = hdr.Linkname
	if h.Hardlink {
		if h.Linkname, err = Clean(hdr.Linkname); err != nil {
			return nil, false, fmt.Errorf("hard link %s: %w", name, err)
		}
	}
	return h, false, nil
}

// Read reads the current member's content.
func (t *TarReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.tr.Read(p)
	if t.sparse && n > 0 {
		// Holes cost no decompression but are bytes a consumer reads.
		t.out.sparse += int64(n)
		if lerr := t.out.check(); lerr != nil {
			t.err = lerr
			return n, lerr
		}
	}
	if err != nil && err != io.EOF {
		t.err = t.classify(err)
		return n, t.err
	}
	return n, err
}

// Finish reads the rest of the stream after Next returned io.EOF, so that a
// truncated or damaged compressed stream is noticed, and checks DiffID. It
// must not be called before the archive's end.
func (t *TarReader) Finish() error {
	if t.err != nil {
		return t.err
	}
	if !t.done {
		return errors.New("safefs: Finish before the end of the archive")
	}
	if _, err := io.Copy(io.Discard, t.out); err != nil {
		t.err = t.classify(err)
		return t.err
	}
	if t.out.h != nil {
		got := "sha256:" + hex.EncodeToString(t.out.h.Sum(nil))
		if got != t.opts.DiffID {
			t.err = fmt.Errorf("uncompressed content has digest %s, the image says %s: %w", got, t.opts.DiffID, ErrCorrupt)
			return t.err
		}
	}
	return nil
}

// Close releases the decompressor. It does not close the source.
func (t *TarReader) Close() error { return t.dec.Close() }

// classify wraps a tar-level error; errors already classified, and the
// source's own errors, pass unchanged.
func (t *TarReader) classify(err error) error {
	if errors.Is(err, ErrHostile) || errors.Is(err, ErrCorrupt) {
		return err
	}
	if t.raw.err != nil && t.raw.err != io.EOF && errors.Is(err, t.raw.err) {
		return err
	}
	if t.out.fail != nil && errors.Is(err, t.out.fail) {
		return err
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return fmt.Errorf("unexpected EOF in tar stream: %w", ErrCorrupt)
	}
	return fmt.Errorf("tar stream: %v: %w", err, ErrCorrupt)
}

// countReader counts bytes read from the source and checks ctx.
type countReader struct {
	ctx context.Context
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// limitReader reads the decompressed stream, counting, hashing and
// enforcing the byte and ratio bounds.
type limitReader struct {
	t      *TarReader
	r      io.Reader
	h      hash.Hash
	n      int64 // decompressed bytes
	sparse int64 // sparse bytes served to readers
	fail   error // the bound or Charge error returned, passed on unchanged
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if n > 0 {
		l.n += int64(n)
		if l.h != nil {
			l.h.Write(p[:n])
		}
		if cerr := l.check(); cerr != nil {
			l.fail = cerr
			return n, cerr
		}
		if l.t.opts.Charge != nil {
			if cerr := l.t.opts.Charge(int64(n)); cerr != nil {
				l.fail = cerr
				return n, cerr
			}
		}
	}
	if err != nil && err != io.EOF {
		if raw := l.t.raw.err; raw != nil && raw != io.EOF && errors.Is(err, raw) {
			return n, err
		}
		if l.t.comp == None {
			return n, err // tar classifies
		}
		return n, corrupt(l.t.comp, err)
	}
	return n, err
}

func (l *limitReader) check() error {
	lim := l.t.opts.Limits
	total := l.n + l.sparse
	if lim.MaxBytes > 0 && total > lim.MaxBytes {
		return fmt.Errorf("more than %d bytes uncompressed: %w", lim.MaxBytes, ErrHostile)
	}
	if lim.MaxRatio > 0 && total > RatioFloor && total/max(l.t.raw.n, 1) > lim.MaxRatio {
		return fmt.Errorf("decompression ratio over %d:1 (%d bytes from %d): %w", lim.MaxRatio, total, l.t.raw.n, ErrHostile)
	}
	return nil
}
