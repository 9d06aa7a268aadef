package safefs

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// ZipLimits bound what one zip file (a jar, a wheel) can make a reader do.
// Zero fields take the values of DefaultZipLimits.
type ZipLimits struct {
	MaxEntries    int   // members in the central directory
	MaxFileBytes  int64 // uncompressed bytes of one member
	MaxTotalBytes int64 // uncompressed bytes read from all members together
	// MaxRatio bounds a member's uncompressed / compressed size once it
	// is over ZipRatioFloor bytes.
	MaxRatio   int64
	MaxPathLen int
}

// DefaultZipLimits suit archives nested in images: the largest real fat
// jars hold ~100k entries and a few hundred MB.
var DefaultZipLimits = ZipLimits{
	MaxEntries:    200_000,
	MaxFileBytes:  512 << 20,
	MaxTotalBytes: 2 << 30,
	MaxRatio:      200,
	MaxPathLen:    4096,
}

// ZipRatioFloor is the member size below which MaxRatio is not applied.
const ZipRatioFloor = 1 << 20

func (l ZipLimits) withDefaults() ZipLimits {
	d := DefaultZipLimits
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxPathLen <= 0 {
		l.MaxPathLen = d.MaxPathLen
	}
	return l
}

// Zip is a zip file opened within ZipLimits.
type Zip struct {
	lim   ZipLimits
	files []ZipFile
	read  atomic.Int64
}

// ZipFile is one member.
type ZipFile struct {
	// Name is cleaned by Clean: never absolute, never above the root.
	Name string
	// File is the member; read it with Zip.Open, not File.Open, so that
	// the bounds apply.
	File *zip.File
}

// OpenZip reads the central directory of the zip held in r (size bytes).
// A member whose name climbs out of the root, or too many members, is
// refused with an error wrapping ErrHostile; a damaged directory wraps
// ErrCorrupt. Directories are listed too (names end without "/"; check
// File.FileInfo().IsDir()).
func OpenZip(r io.ReaderAt, size int64, lim ZipLimits) (*Zip, error) {
	lim = lim.withDefaults()
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("zip: %v: %w", err, ErrCorrupt)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("zip: %d members, more than %d: %w", len(zr.File), lim.MaxEntries, ErrHostile)
	}
	z := &Zip{lim: lim, files: make([]ZipFile, 0, len(zr.File))}
	for _, f := range zr.File {
		if len(f.Name) > lim.MaxPathLen {
			return nil, fmt.Errorf("zip: member name of %d bytes is over the %d-byte limit: %w", len(f.Name), lim.MaxPathLen, ErrHostile)
		}
		name, err := Clean(f.Name)
		if err != nil {
			return nil, fmt.Errorf("zip: %w", err)
		}
		z.files = append(z.files, ZipFile{Name: name, File: f})
	}
	return z, nil
}

// Files returns the members in directory order.
func (z *Zip) Files() []ZipFile { return z.files }

// Open returns the content of f, refusing members over MaxFileBytes or
// MaxRatio, and stopping reads once all members together have given
// MaxTotalBytes. The reader also fails if the member holds more bytes than
// its header declares, or its checksum does not match.
func (z *Zip) Open(f ZipFile) (io.ReadCloser, error) {
	usize, csize := f.File.UncompressedSize64, f.File.CompressedSize64
	if usize > uint64(z.lim.MaxFileBytes) {
		return nil, fmt.Errorf("zip: %s: %d bytes, over the %d-byte limit: %w", f.Name, usize, z.lim.MaxFileBytes, ErrHostile)
	}
	if usize > ZipRatioFloor && usize/max(csize, 1) > uint64(z.lim.MaxRatio) {
		return nil, fmt.Errorf("zip: %s: decompression ratio over %d:1: %w", f.Name, z.lim.MaxRatio, ErrHostile)
	}
	rc, err := f.File.Open()
	if err != nil {
		return nil, fmt.Errorf("zip: %s: %v: %w", f.Name, err, ErrCorrupt)
	}
	return &zipReader{z: z, name: f.Name, rc: rc}, nil
}

type zipReader struct {
	z    *Zip
	name string
	rc   io.ReadCloser
}

func (r *zipReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 && r.z.read.Add(int64(n)) > r.z.lim.MaxTotalBytes {
		return n, fmt.Errorf("zip: more than %d bytes read from all members: %w", r.z.lim.MaxTotalBytes, ErrHostile)
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("zip: %s: %v: %w", r.name, err, ErrCorrupt)
	}
	return n, err
}

func (r *zipReader) Close() error { return r.rc.Close() }
