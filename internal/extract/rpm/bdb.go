package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Berkeley DB hash databases (the rpm "Packages" file before rpm 4.16),
// read the way db_dump -r would: every hash page in file order, each
// key/data pair on it, data that does not fit followed through its
// overflow pages. Both byte orders are read; the metadata magic says which.
// Checksummed or encrypted databases (rpm never made them) are refused.

// ErrBadBDB: the file is not a well-formed Berkeley DB hash database.
var ErrBadBDB = errors.New("malformed berkeley db hash database")

const (
	bdbHashMagic    = 0x061561
	bdbMetaHash     = 8
	bdbPageHash     = 13
	bdbPageHashOld  = 2 // P_HASH_UNSORTED
	bdbPageOverflow = 7
	bdbPageHeader   = 26
	bdbKeyData      = 1 // H_KEYDATA
	bdbOffPage      = 3 // H_OFFPAGE
	bdbOffPageLen   = 12
)

type bdb struct {
	r        io.ReaderAt
	bo       binary.ByteOrder
	pageSize uint32
	lastPage uint32
}

func bdbBlobs(ctx context.Context, r io.ReaderAt, size int64, fn func(id uint64, blob []byte) error) error {
	var meta [72]byte
	if _, err := r.ReadAt(meta[:], 0); err != nil {
		return fmt.Errorf("%w: metadata: %v", ErrBadBDB, err)
	}
	db := &bdb{r: r}
	switch {
	case binary.LittleEndian.Uint32(meta[12:]) == bdbHashMagic:
		db.bo = binary.LittleEndian
	case binary.BigEndian.Uint32(meta[12:]) == bdbHashMagic:
		db.bo = binary.BigEndian
	default:
		return fmt.Errorf("%w: not a hash database", ErrBadBDB)
	}
	db.pageSize = db.bo.Uint32(meta[20:])
	if db.pageSize < 512 || db.pageSize > 65536 || db.pageSize&(db.pageSize-1) != 0 {
		return fmt.Errorf("%w: page size %d", ErrBadBDB, db.pageSize)
	}
	if meta[25] != bdbMetaHash {
		return fmt.Errorf("%w: metadata page type %d", ErrBadBDB, meta[25])
	}
	if meta[24] != 0 || meta[26]&1 != 0 {
		return fmt.Errorf("%w: encrypted or checksummed databases are not supported", ErrBadBDB)
	}
	db.lastPage = db.bo.Uint32(meta[32:])
	if int64(db.lastPage+1)*int64(db.pageSize) > size {
		// A truncated file: read the pages that are there.
		db.lastPage = uint32(size/int64(db.pageSize)) - 1
	}
	var errs []error
	for pg := uint32(1); pg <= db.lastPage; pg++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := db.page(pg)
		if err != nil {
			return err
		}
		if t := page[25]; t != bdbPageHash && t != bdbPageHashOld {
			continue
		}
		if err := db.hashPage(pg, page, fn); err != nil {
			if len(errs) < 20 {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (db *bdb) page(n uint32) ([]byte, error) {
	buf := make([]byte, db.pageSize)
	if _, err := db.r.ReadAt(buf, int64(n)*int64(db.pageSize)); err != nil {
		return nil, fmt.Errorf("bdb: read page %d: %w", n, err)
	}
	return buf, nil
}

// hashPage hands fn the data of every key/data pair on one hash page.
func (db *bdb) hashPage(pg uint32, page []byte, fn func(uint64, []byte) error) error {
	n := int(db.bo.Uint16(page[20:]))
	if bdbPageHeader+2*n > len(page) {
		return fmt.Errorf("%w: page %d: %d entries", ErrBadBDB, pg, n)
	}
	item := func(i int) ([]byte, error) {
		start := int(db.bo.Uint16(page[bdbPageHeader+2*i:]))
		end := len(page)
		if i > 0 {
			end = int(db.bo.Uint16(page[bdbPageHeader+2*(i-1):]))
		}
		if start < bdbPageHeader+2*n || start >= end || end > len(page) {
			return nil, fmt.Errorf("%w: page %d item %d at %d..%d", ErrBadBDB, pg, i, start, end)
		}
		return page[start:end], nil
	}
	var errs []error
	for i := 0; i+1 < n; i += 2 {
		key, err := item(i)
		if err != nil {
			return err
		}
		data, err := item(i + 1)
		if err != nil {
			return err
		}
		var id uint64
		if key[0] == bdbKeyData && len(key) == 5 {
			id = uint64(db.bo.Uint32(key[1:]))
		}
		var blob []byte
		switch data[0] {
		case bdbKeyData:
			blob = data[1:]
		case bdbOffPage:
			if len(data) < bdbOffPageLen {
				return fmt.Errorf("%w: page %d item %d: short off-page item", ErrBadBDB, pg, i+1)
			}
			blob, err = db.overflow(db.bo.Uint32(data[4:]), db.bo.Uint32(data[8:]))
			if err != nil {
				errs = append(errs, fmt.Errorf("page %d item %d: %w", pg, i+1, err))
				continue
			}
		default:
			continue // duplicates: rpm's Packages has none
		}
		if err := fn(id, blob); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// overflow reads a chain of overflow pages holding total bytes.
func (db *bdb) overflow(pg, total uint32) ([]byte, error) {
	if total > maxDataLength {
		return nil, fmt.Errorf("%w: overflow item of %d bytes", ErrBadBDB, total)
	}
	out := make([]byte, 0, total)
	maxPages := int(total)/int(db.pageSize-bdbPageHeader) + 1
	for hops := 0; uint32(len(out)) < total; hops++ {
		if pg == 0 || pg > db.lastPage || hops > maxPages {
			return nil, fmt.Errorf("%w: overflow chain breaks at page %d after %d of %d bytes", ErrBadBDB, pg, len(out), total)
		}
		page, err := db.page(pg)
		if err != nil {
			return nil, err
		}
		if page[25] != bdbPageOverflow {
			return nil, fmt.Errorf("%w: page %d has type %d, want overflow", ErrBadBDB, pg, page[25])
		}
		n := int(db.bo.Uint16(page[22:])) // OV_LEN: bytes used on this page
		if bdbPageHeader+n > len(page) || uint32(len(out)+n) > total {
			return nil, fmt.Errorf("%w: overflow page %d holds %d bytes", ErrBadBDB, pg, n)
		}
		out = append(out, page[bdbPageHeader:bdbPageHeader+n]...)
		pg = db.bo.Uint32(page[16:])
	}
	return out, nil
}
