package safefs

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is how a stream is compressed.
type Compression int

// The compressions Decompress recognises by their magic bytes.
const (
	None Compression = iota
	Gzip
	Zstd
	Bzip2
	Xz // recognised, not supported
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Bzip2:
		return "bzip2"
	case Xz:
		return "xz"
	}
	return "tar"
}

var magics = []struct {
	magic []byte
	c     Compression
}{
	{[]byte{0x1f, 0x8b}, Gzip},
	{[]byte{0x28, 0xb5, 0x2f, 0xfd}, Zstd},
	{[]byte("BZh"), Bzip2},
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, Xz},
}

// DetectCompression peeks at the first bytes of br without consuming them.
func DetectCompression(br *bufio.Reader) Compression {
	head, _ := br.Peek(6)
	for _, m := range magics {
		if bytes.HasPrefix(head, m.magic) {
			return m.c
		}
	}
	return None
}

// maxZstdWindow bounds the memory a zstd frame may ask for (zstd -22
// --ultra uses 128 MiB).
const maxZstdWindow = 128 << 20

// decompressor returns a reader of the decompressed stream. Its Close
// releases decoder resources; it does not close br's source.
func decompressor(br *bufio.Reader, c Compression) (io.ReadCloser, error) {
	switch c {
	case None:
		return io.NopCloser(br), nil
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, corrupt(c, err)
		}
		return zr, nil
	case Zstd:
		// One goroutine-free decoder per stream; bounded window.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, corrupt(c, err)
		}
		return zstdCloser{zr}, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(br)), nil
	}
	return nil, fmt.Errorf("%s compression is not supported: %w", c, ErrCorrupt)
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// corrupt wraps a decoder error: "unexpected EOF in gzip stream".
func corrupt(c Compression, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("unexpected EOF in %s stream: %w", c, ErrCorrupt)
	}
	return fmt.Errorf("%s stream: %v: %w", c, err, ErrCorrupt)
}

// Decompress returns a reader of r's content, decompressed when r starts
// with the magic bytes of gzip, zstd or bzip2, and the compression found.
// Close releases the decoder; it does not close r.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	c := DetectCompression(br)
	rc, err := decompressor(br, c)
	return rc, c, err
}
