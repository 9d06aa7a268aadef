package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A minimal read-only SQLite reader (https://www.sqlite.org/fileformat2.html):
// enough to find a table by name in sqlite_schema and walk its table
// b-tree, following overflow pages. Index b-trees, WAL files and free
// lists are never read. Every page number, cell offset and payload length
// is checked, each page is visited at most once, and b-tree depth is bounded.

// ErrBadSQLite: the file is not a well-formed SQLite database.
var ErrBadSQLite = errors.New("malformed sqlite database")

const (
	sqliteMagic    = "SQLite format 3\x00"
	sqliteMaxDepth = 40
	pageLeafTable  = 0x0d
	pageInnerTable = 0x05
)

type sqliteDB struct {
	r        io.ReaderAt
	size     int64
	pageSize int
	usable   int
	npages   uint32
	visited  map[uint32]bool
}

func openSQLite(r io.ReaderAt, size int64) (*sqliteDB, error) {
	var hdr [100]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrBadSQLite, err)
	}
	if string(hdr[:16]) != sqliteMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrBadSQLite)
	}
	ps := int(binary.BigEndian.Uint16(hdr[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("%w: page size %d", ErrBadSQLite, ps)
	}
	usable := ps - int(hdr[20])
	if usable < 480 {
		return nil, fmt.Errorf("%w: usable page size %d", ErrBadSQLite, usable)
	}
	if enc := binary.BigEndian.Uint32(hdr[56:]); enc > 1 {
		return nil, fmt.Errorf("%w: text encoding %d is not UTF-8", ErrBadSQLite, enc)
	}
	return &sqliteDB{r: r, size: size, pageSize: ps, usable: usable,
		npages: uint32(size / int64(ps)), visited: map[uint32]bool{}}, nil
}

func (db *sqliteDB) page(n uint32) ([]byte, error) {
	if n < 1 || n > db.npages {
		return nil, fmt.Errorf("%w: page %d out of range 1..%d", ErrBadSQLite, n, db.npages)
	}
	buf := make([]byte, db.pageSize)
	if _, err := db.r.ReadAt(buf, int64(n-1)*int64(db.pageSize)); err != nil {
		return nil, fmt.Errorf("sqlite: read page %d: %w", n, err)
	}
	return buf[:db.usable], nil
}

// walkTable calls fn with the record of every row of the table b-tree
// rooted at root, in rowid order.
func (db *sqliteDB) walkTable(ctx context.Context, root uint32, fn func(rowid int64, rec []byte) error) error {
	return db.walk(ctx, root, 0, fn)
}

func (db *sqliteDB) walk(ctx context.Context, pgno uint32, depth int, fn func(int64, []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if depth > sqliteMaxDepth {
		return fmt.Errorf("%w: b-tree deeper than %d", ErrBadSQLite, sqliteMaxDepth)
	}
	if db.visited[pgno] {
		return fmt.Errorf("%w: page %d reached twice", ErrBadSQLite, pgno)
	}
	db.visited[pgno] = true
	pg, err := db.page(pgno)
	if err != nil {
		return err
	}
	off := 0
	if pgno == 1 {
		off = 100
	}
	if off+8 > len(pg) {
		return fmt.Errorf("%w: page %d too small", ErrBadSQLite, pgno)
	}
	typ := pg[off]
	ncells := int(binary.BigEndian.Uint16(pg[off+3:]))
	hdrLen := 8
	if typ == pageInnerTable {
		hdrLen = 12
	} else if typ != pageLeafTable {
		return fmt.Errorf("%w: page %d has type %#x, not a table b-tree page", ErrBadSQLite, pgno, typ)
	}
	ptrs := off + hdrLen
	if ptrs+2*ncells > len(pg) {
		return fmt.Errorf("%w: page %d: %d cells overrun the page", ErrBadSQLite, pgno, ncells)
	}
	for i := range ncells {
		c := int(binary.BigEndian.Uint16(pg[ptrs+2*i:]))
		if c < ptrs+2*ncells || c >= len(pg) {
			return fmt.Errorf("%w: page %d cell %d at offset %d", ErrBadSQLite, pgno, i, c)
		}
		if typ == pageInnerTable {
			if c+4 > len(pg) {
				return fmt.Errorf("%w: page %d cell %d truncated", ErrBadSQLite, pgno, i)
			}
			if err := db.walk(ctx, binary.BigEndian.Uint32(pg[c:]), depth+1, fn); err != nil {
				return err
			}
			continue
		}
		rowid, rec, err := db.leafCell(pg, c)
		if err != nil {
			return fmt.Errorf("page %d cell %d: %w", pgno, i, err)
		}
		if err := fn(rowid, rec); err != nil {
			return err
		}
	}
	if typ == pageInnerTable {
		return db.walk(ctx, binary.BigEndian.Uint32(pg[off+8:]), depth+1, fn)
	}
	return nil
}

// leafCell reads a table-leaf cell: payload length, rowid, local payload
// and, when the payload spills, the overflow chain.
func (db *sqliteDB) leafCell(pg []byte, c int) (int64, []byte, error) {
	plen, n := varint(pg[c:])
	if n == 0 {
		return 0, nil, fmt.Errorf("%w: bad payload length", ErrBadSQLite)
	}
	c += n
	rowid, n := varint(pg[c:])
	if n == 0 {
		return 0, nil, fmt.Errorf("%w: bad rowid", ErrBadSQLite)
	}
	c += n
	if plen > uint64(db.size) || plen > maxDataLength {
		return 0, nil, fmt.Errorf("%w: payload of %d bytes", ErrBadSQLite, plen)
	}
	p := int(plen)
	u := db.usable
	local := p
	if x := u - 35; p > x {
		m := (u-12)*32/255 - 23
		k := m + (p-m)%(u-4)
		if k <= x {
			local = k
		} else {
			local = m
		}
	}
	if c+local > len(pg) {
		return 0, nil, fmt.Errorf("%w: payload overruns the page", ErrBadSQLite)
	}
	out := make([]byte, 0, p)
	out = append(out, pg[c:c+local]...)
	if local == p {
		return int64(rowid), out, nil
	}
	if c+local+4 > len(pg) {
		return 0, nil, fmt.Errorf("%w: overflow pointer overruns the page", ErrBadSQLite)
	}
	next := binary.BigEndian.Uint32(pg[c+local:])
	for len(out) < p {
		if next == 0 || db.visited[next] {
			return 0, nil, fmt.Errorf("%w: overflow chain ends or loops at page %d", ErrBadSQLite, next)
		}
		db.visited[next] = true
		ov, err := db.page(next)
		if err != nil {
			return 0, nil, err
		}
		next = binary.BigEndian.Uint32(ov)
		take := min(p-len(out), len(ov)-4)
		out = append(out, ov[4:4+take]...)
	}
	return int64(rowid), out, nil
}

// varint decodes a SQLite big-endian varint; n is 0 on truncated input.
func varint(b []byte) (v uint64, n int) {
	for i := 0; i < 9; i++ {
		if i >= len(b) {
			return 0, 0
		}
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// column is one value of a record: its serial type and raw bytes.
type column struct {
	typ  uint64
	data []byte
}

// record splits a record into its columns.
func record(rec []byte) ([]column, error) {
	hlen, n := varint(rec)
	if n == 0 || hlen > uint64(len(rec)) || int(hlen) < n {
		return nil, fmt.Errorf("%w: bad record header", ErrBadSQLite)
	}
	hdr := rec[n:hlen]
	body := rec[hlen:]
	var cols []column
	for len(hdr) > 0 {
		st, k := varint(hdr)
		if k == 0 {
			return nil, fmt.Errorf("%w: bad serial type", ErrBadSQLite)
		}
		hdr = hdr[k:]
		var size uint64
		switch {
		case st <= 4:
			size = st
		case st == 5:
			size = 6
		case st == 6 || st == 7:
			size = 8
		case st == 8 || st == 9:
			size = 0
		case st == 10 || st == 11:
			return nil, fmt.Errorf("%w: reserved serial type %d", ErrBadSQLite, st)
		default:
			size = (st - 12) / 2
		}
		if size > uint64(len(body)) {
			return nil, fmt.Errorf("%w: column overruns the record", ErrBadSQLite)
		}
		cols = append(cols, column{typ: st, data: body[:size]})
		body = body[size:]
	}
	return cols, nil
}

func (c column) text() string {
	if c.typ >= 13 && c.typ%2 == 1 {
		return string(c.data)
	}
	return ""
}

func (c column) isBlob() bool { return c.typ >= 12 && c.typ%2 == 0 }

func (c column) int() (int64, bool) {
	switch c.typ {
	case 8:
		return 0, true
	case 9:
		return 1, true
	case 1, 2, 3, 4, 5, 6:
		var v int64
		for _, b := range c.data {
			v = v<<8 | int64(b)
		}
		shift := 64 - 8*len(c.data)
		return v << shift >> shift, true // sign-extend
	}
	return 0, false
}

// findTable returns the root page of the table named name.
func (db *sqliteDB) findTable(ctx context.Context, name string) (uint32, error) {
	var root uint32
	errFound := errors.New("found")
	err := db.walkTable(ctx, 1, func(_ int64, rec []byte) error {
		cols, err := record(rec)
		if err != nil {
			return err
		}
		if len(cols) < 4 || cols[0].text() != "table" || !strings.EqualFold(cols[1].text(), name) {
			return nil
		}
		v, ok := cols[3].int()
		if !ok || v < 1 || v > int64(db.npages) {
			return fmt.Errorf("%w: table %s has root page %d", ErrBadSQLite, name, v)
		}
		root = uint32(v)
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return 0, fmt.Errorf("sqlite: schema: %w", err)
	}
	if root == 0 {
		return 0, fmt.Errorf("%w: no table %q", ErrBadSQLite, name)
	}
	// The schema walk marked its pages; data pages must be distinct.
	clear(db.visited)
	return root, nil
}

// sqliteBlobs calls fn with the blob column of every row of rpm's Packages
// table (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL).
func sqliteBlobs(ctx context.Context, r io.ReaderAt, size int64, fn func(id uint64, blob []byte) error) error {
	db, err := openSQLite(r, size)
	if err != nil {
		return err
	}
	root, err := db.findTable(ctx, "Packages")
	if err != nil {
		return err
	}
	return db.walkTable(ctx, root, func(rowid int64, rec []byte) error {
		cols, err := record(rec)
		if err != nil {
			return fmt.Errorf("row %d: %w", rowid, err)
		}
		for _, c := range cols {
			if c.isBlob() {
				return fn(uint64(rowid), c.data)
			}
		}
		return fmt.Errorf("%w: row %d has no blob", ErrBadSQLite, rowid)
	})
}
