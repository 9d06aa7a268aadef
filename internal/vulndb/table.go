package vulndb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// A table is a sorted key/value list cut into independently compressed
// blocks, so that a lookup decompresses one or two blocks and never the
// whole database. A block is a run of entries
//
//	uvarint(len(key)) key uvarint(len(value)) value
//
// compressed as one zstd frame. The block index (first key, offset,
// length) lives in the database's metadata.

// blockRef locates one block inside the payload.
type blockRef struct {
	First  string `json:"first"` // first key in the block
	Off    int64  `json:"off"`   // offset of the compressed frame in the payload
	Len    int64  `json:"len"`   // compressed length
	RawLen int64  `json:"raw"`   // uncompressed length
	N      int    `json:"n"`     // entries
}

// tableMeta describes one table.
type tableMeta struct {
	Blocks  []blockRef `json:"blocks"`
	Entries int        `json:"entries"`
}

// blockTarget is the uncompressed size at which a block is cut. Small
// blocks make lookups cheap; larger ones compress better. 128 KiB keeps a
// block's decompression under ~0.1 ms.
const blockTarget = 128 << 10

// maxBlockRaw bounds what one block may claim to hold when read back.
const maxBlockRaw = 64 << 20

// tableWriter appends blocks to the payload. Keys must arrive sorted and
// unique.
type tableWriter struct {
	enc  *zstd.Encoder
	buf  *bytes.Buffer // payload so far
	meta tableMeta
	cur  bytes.Buffer
	curN int
	first,
	last string
	any bool
}

func newTableWriter(enc *zstd.Encoder, payload *bytes.Buffer) *tableWriter {
	return &tableWriter{enc: enc, buf: payload}
}

func (w *tableWriter) add(key string, value []byte) error {
	if w.any && key <= w.last {
		return fmt.Errorf("table keys out of order: %q after %q", key, w.last)
	}
	w.any = true
	w.last = key
	if w.curN == 0 {
		w.first = key
	}
	var n [binary.MaxVarintLen64]byte
	w.cur.Write(n[:binary.PutUvarint(n[:], uint64(len(key)))])
	w.cur.WriteString(key)
	w.cur.Write(n[:binary.PutUvarint(n[:], uint64(len(value)))])
	w.cur.Write(value)
	w.curN++
	w.meta.Entries++
	if w.cur.Len() >= blockTarget {
		w.flush()
	}
	return nil
}

func (w *tableWriter) flush() {
	if w.curN == 0 {
		return
	}
	off := int64(w.buf.Len())
	c := w.enc.EncodeAll(w.cur.Bytes(), nil)
	w.buf.Write(c)
	w.meta.Blocks = append(w.meta.Blocks, blockRef{First: w.first, Off: off, Len: int64(len(c)), RawLen: int64(w.cur.Len()), N: w.curN})
	w.cur.Reset()
	w.curN = 0
}

func (w *tableWriter) close() tableMeta {
	w.flush()
	return w.meta
}

// table reads one table out of a verified payload.
type table struct {
	name    string
	payload []byte
	meta    tableMeta
	dec     *zstd.Decoder

	mu    sync.Mutex
	cache map[int][]byte // decompressed blocks
}

var errCorruptTable = errors.New("corrupt table")

func newTable(name string, payload []byte, meta tableMeta, dec *zstd.Decoder) (*table, error) {
	prev := ""
	for i, b := range meta.Blocks {
		if b.Off < 0 || b.Len <= 0 || b.Off+b.Len > int64(len(payload)) || b.RawLen <= 0 || b.RawLen > maxBlockRaw || b.N <= 0 {
			return nil, fmt.Errorf("%w: %s block %d out of bounds", errCorruptTable, name, i)
		}
		if i > 0 && b.First <= prev {
			return nil, fmt.Errorf("%w: %s blocks out of order", errCorruptTable, name)
		}
		prev = b.First
	}
	return &table{name: name, payload: payload, meta: meta, dec: dec, cache: map[int][]byte{}}, nil
}

// block returns the decompressed block i, cached.
func (t *table) block(i int) ([]byte, error) {
	t.mu.Lock()
	b, ok := t.cache[i]
	t.mu.Unlock()
	if ok {
		return b, nil
	}
	ref := t.meta.Blocks[i]
	raw, err := t.dec.DecodeAll(t.payload[ref.Off:ref.Off+ref.Len], make([]byte, 0, ref.RawLen))
	if err != nil {
		return nil, fmt.Errorf("%w: %s block %d: %v", errCorruptTable, t.name, i, err)
	}
	if int64(len(raw)) != ref.RawLen {
		return nil, fmt.Errorf("%w: %s block %d: %d bytes, index says %d", errCorruptTable, t.name, i, len(raw), ref.RawLen)
	}
	t.mu.Lock()
	t.cache[i] = raw
	t.mu.Unlock()
	return raw, nil
}

// scan calls fn for each entry of block i whose key is >= from, in
// order, until fn returns false.
func (t *table) scanBlock(i int, from string, fn func(key string, value []byte) bool) (bool, error) {
	b, err := t.block(i)
	if err != nil {
		return false, err
	}
	for len(b) > 0 {
		kl, n := binary.Uvarint(b)
		if n <= 0 || kl > uint64(len(b)-n) {
			return false, fmt.Errorf("%w: %s block %d: bad key length", errCorruptTable, t.name, i)
		}
		b = b[n:]
		key := b[:kl]
		b = b[kl:]
		vl, n := binary.Uvarint(b)
		if n <= 0 || vl > uint64(len(b)-n) {
			return false, fmt.Errorf("%w: %s block %d: bad value length", errCorruptTable, t.name, i)
		}
		b = b[n:]
		val := b[:vl:vl]
		b = b[vl:]
		if string(key) < from {
			continue
		}
		if !fn(string(key), val) {
			return false, nil
		}
	}
	return true, nil
}

// seek calls fn for every entry with key >= from, in order, until fn
// returns false.
func (t *table) seek(from string, fn func(key string, value []byte) bool) error {
	blocks := t.meta.Blocks
	// The first block that may hold from: the last whose first key <= from.
	i := sort.Search(len(blocks), func(i int) bool { return blocks[i].First > from }) - 1
	if i < 0 {
		i = 0
	}
	for ; i < len(blocks); i++ {
		more, err := t.scanBlock(i, from, fn)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// get returns the value for key, or nil.
func (t *table) get(key string) ([]byte, error) {
	var out []byte
	err := t.seek(key, func(k string, v []byte) bool {
		if k == key {
			out = v
		}
		return false
	})
	return out, err
}

// prefix calls fn for every entry whose key starts with p.
func (t *table) prefix(p string, fn func(key string, value []byte) error) error {
	var ferr error
	err := t.seek(p, func(k string, v []byte) bool {
		if len(k) < len(p) || k[:len(p)] != p {
			return false
		}
		ferr = fn(k, v)
		return ferr == nil
	})
	if err != nil {
		return err
	}
	return ferr
}

// all calls fn for every entry in order.
func (t *table) all(fn func(key string, value []byte) error) error { return t.prefix("", fn) }
