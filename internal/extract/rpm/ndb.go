package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
)

// NDB is rpm's own package store (lib/backend/ndb/rpmpkg.c), used by SUSE:
// a 32-byte file header ("RpmP", version, generation, slot page count,
// next package index), then slot pages of 16-byte slots ("Slot", package
// index, block offset, block count) and blobs addressed in 16-byte blocks,
// each framed by a head ("BlbS", package index, generation, length) and a
// tail (adler32 of head, data and padding; length; "BlbE") that ends the
// blob's last block. All integers are little-endian.

// ErrBadNDB: the file is not a well-formed NDB package database.
var ErrBadNDB = errors.New("malformed rpm ndb database")

const (
	ndbMagic     = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobHead  = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbBlobTail  = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24
	ndbPageSize  = 4096
	ndbBlockSize = 16
	ndbSlotSize  = 16
	ndbHeadSize  = 16
	ndbTailSize  = 12
	ndbMaxPages  = 2048 // slot pages: 2048*256 packages is plenty
)

func ndbBlobs(ctx context.Context, r io.ReaderAt, size int64, fn func(id uint64, blob []byte) error) error {
	var hdr [32]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return fmt.Errorf("%w: header: %v", ErrBadNDB, err)
	}
	le := binary.LittleEndian
	if le.Uint32(hdr[:]) != ndbMagic {
		return fmt.Errorf("%w: bad magic", ErrBadNDB)
	}
	if v := le.Uint32(hdr[4:]); v != 0 {
		return fmt.Errorf("%w: version %d", ErrBadNDB, v)
	}
	npages := le.Uint32(hdr[12:])
	if npages == 0 || npages > ndbMaxPages || int64(npages)*ndbPageSize > size {
		return fmt.Errorf("%w: %d slot pages in %d bytes", ErrBadNDB, npages, size)
	}
	slots := make([]byte, int(npages)*ndbPageSize)
	if _, err := r.ReadAt(slots, 0); err != nil {
		return fmt.Errorf("ndb: read slots: %w", err)
	}
	fileBlocks := size / ndbBlockSize
	minBlock := int64(npages) * ndbPageSize / ndbBlockSize
	var errs []error
	for o := 32; o+ndbSlotSize <= len(slots); o += ndbSlotSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := slots[o:]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("%w: bad slot magic at offset %d", ErrBadNDB, o)
		}
		idx, off, cnt := le.Uint32(s[4:]), int64(le.Uint32(s[8:])), int64(le.Uint32(s[12:]))
		if off == 0 {
			continue // free slot
		}
		if idx == 0 || cnt == 0 || off < minBlock || off+cnt > fileBlocks {
			errs = append(errs, fmt.Errorf("%w: slot at offset %d: package %d at block %d+%d", ErrBadNDB, o, idx, off, cnt))
			continue
		}
		blob, err := ndbBlob(r, idx, off, cnt)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := fn(uint64(idx), blob); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func ndbBlob(r io.ReaderAt, idx uint32, off, cnt int64) ([]byte, error) {
	if cnt*ndbBlockSize > maxDataLength+ndbHeadSize+ndbTailSize+ndbBlockSize {
		return nil, fmt.Errorf("%w: package %d: %d blocks", ErrBadNDB, idx, cnt)
	}
	buf := make([]byte, cnt*ndbBlockSize)
	if _, err := r.ReadAt(buf, off*ndbBlockSize); err != nil {
		return nil, fmt.Errorf("ndb: read package %d: %w", idx, err)
	}
	le := binary.LittleEndian
	if len(buf) < ndbHeadSize+ndbTailSize || le.Uint32(buf) != ndbBlobHead || le.Uint32(buf[4:]) != idx {
		return nil, fmt.Errorf("%w: package %d: bad blob head", ErrBadNDB, idx)
	}
	n := int64(le.Uint32(buf[12:]))
	if (ndbHeadSize+n+ndbTailSize+ndbBlockSize-1)/ndbBlockSize != cnt {
		return nil, fmt.Errorf("%w: package %d: blob of %d bytes in %d blocks", ErrBadNDB, idx, n, cnt)
	}
	// The tail closes the last block; padding sits between data and tail.
	tail := buf[len(buf)-ndbTailSize:]
	if int64(le.Uint32(tail[4:])) != n || le.Uint32(tail[8:]) != ndbBlobTail {
		return nil, fmt.Errorf("%w: package %d: bad blob tail", ErrBadNDB, idx)
	}
	if adler32.Checksum(buf[:len(buf)-ndbTailSize]) != le.Uint32(tail) {
		return nil, fmt.Errorf("%w: package %d: checksum mismatch", ErrBadNDB, idx)
	}
	return buf[ndbHeadSize : ndbHeadSize+n], nil
}
