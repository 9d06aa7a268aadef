package rpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Header tags pave reads (rpmtag.h).
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagLicense         = 1014
	tagArch            = 1022
	tagOldFilenames    = 1027
	tagSourceRPM       = 1044
	tagDirIndexes      = 1116
	tagBasenames       = 1117
	tagDirnames        = 1118
	tagModularityLabel = 5096
)

// Header data types (rpmtag.h).
const (
	typeInt32       = 4
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// Bounds from rpm's own header checks (hdrchkTags, hdrchkData).
const (
	maxIndexEntries = 0xffff
	maxDataLength   = 256 << 20
	maxFiles        = 1 << 20
)

// ErrBadHeader: a header blob is malformed.
var ErrBadHeader = errors.New("malformed rpm header")

// Header is what pave reads from one package header.
type Header struct {
	Name, Version, Release string
	Epoch                  *int // nil when the header has no epoch
	License, Arch          string
	SourceRPM              string
	ModularityLabel        string
	Files                  []string // slash paths relative to the root
}

// EVR returns "[epoch:]version-release".
func (h *Header) EVR() string {
	v := h.Version
	if h.Release != "" {
		v += "-" + h.Release
	}
	if h.Epoch != nil {
		v = strconv.Itoa(*h.Epoch) + ":" + v
	}
	return v
}

type entry struct {
	tag, typ, offset, count uint32
}

// ParseHeader parses an rpm header blob as the package databases store it:
// the index count and data length (big-endian int32s), the index entries
// (tag, type, offset, count) and the data store. Every count and offset is
// checked against the blob.
func ParseHeader(blob []byte) (*Header, error) {
	if len(blob) < 8 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadHeader, len(blob))
	}
	il := binary.BigEndian.Uint32(blob)
	dl := binary.BigEndian.Uint32(blob[4:])
	if il == 0 || il > maxIndexEntries || dl > maxDataLength {
		return nil, fmt.Errorf("%w: %d entries, %d data bytes", ErrBadHeader, il, dl)
	}
	start := 8 + 16*int(il)
	if start+int(dl) > len(blob) {
		return nil, fmt.Errorf("%w: %d entries and %d data bytes overrun a %d-byte blob", ErrBadHeader, il, dl, len(blob))
	}
	data := blob[start : start+int(dl)]
	entries := make(map[uint32]entry, 16)
	for i := range int(il) {
		b := blob[8+16*i:]
		e := entry{
			tag:    binary.BigEndian.Uint32(b),
			typ:    binary.BigEndian.Uint32(b[4:]),
			offset: binary.BigEndian.Uint32(b[8:]),
			count:  binary.BigEndian.Uint32(b[12:]),
		}
		switch e.tag {
		case tagName, tagVersion, tagRelease, tagEpoch, tagLicense, tagArch, tagOldFilenames,
			tagSourceRPM, tagDirIndexes, tagBasenames, tagDirnames, tagModularityLabel:
			if _, dup := entries[e.tag]; !dup {
				entries[e.tag] = e
			}
		}
	}
	r := reader{data: data, entries: entries}
	h := &Header{
		Name:            r.str(tagName),
		Version:         r.str(tagVersion),
		Release:         r.str(tagRelease),
		License:         r.str(tagLicense),
		Arch:            r.str(tagArch),
		SourceRPM:       r.str(tagSourceRPM),
		ModularityLabel: r.str(tagModularityLabel),
	}
	if ep := r.int32s(tagEpoch, 1); len(ep) == 1 {
		e := int(ep[0])
		h.Epoch = &e
	}
	if r.err != nil {
		return nil, r.err
	}
	if h.Name == "" {
		return nil, fmt.Errorf("%w: no name", ErrBadHeader)
	}
	files, err := r.files()
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", h.Name, err)
	}
	h.Files = files
	return h, nil
}

type reader struct {
	data    []byte
	entries map[uint32]entry
	err     error
}

func (r *reader) fail(e entry, msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: tag %d: %s", ErrBadHeader, e.tag, msg)
	}
}

// str returns a string tag ("" when absent). An I18N string's first
// (default-locale) value is used.
func (r *reader) str(tag uint32) string {
	e, ok := r.entries[tag]
	if !ok {
		return ""
	}
	if e.typ != typeString && e.typ != typeI18NString && e.typ != typeStringArray {
		r.fail(e, fmt.Sprintf("type %d is not a string", e.typ))
		return ""
	}
	s := r.strings(e, 1)
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// strings returns up to limit NUL-terminated strings of e.
func (r *reader) strings(e entry, limit int) []string {
	if int64(e.offset) >= int64(len(r.data)) {
		r.fail(e, "offset past the data store")
		return nil
	}
	n := int(min(e.count, uint32(limit)))
	if e.typ == typeString {
		n = 1
	}
	out := make([]string, 0, min(n, 1024))
	rest := r.data[e.offset:]
	for range n {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			r.fail(e, "string not terminated")
			return nil
		}
		out = append(out, string(rest[:i]))
		rest = rest[i+1:]
	}
	return out
}

// int32s returns e's int32 values; want, when positive, is the count the
// caller needs exactly.
func (r *reader) int32s(tag uint32, limit int) []uint32 {
	e, ok := r.entries[tag]
	if !ok {
		return nil
	}
	if e.typ != typeInt32 {
		r.fail(e, fmt.Sprintf("type %d is not int32", e.typ))
		return nil
	}
	if e.count > uint32(limit) {
		r.fail(e, fmt.Sprintf("%d values, at most %d allowed", e.count, limit))
		return nil
	}
	end := int64(e.offset) + 4*int64(e.count)
	if end > int64(len(r.data)) {
		r.fail(e, "values run past the data store")
		return nil
	}
	out := make([]uint32, e.count)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(r.data[int(e.offset)+4*i:])
	}
	return out
}

func (r *reader) stringArray(tag uint32) []string {
	e, ok := r.entries[tag]
	if !ok {
		return nil
	}
	if e.typ != typeStringArray {
		r.fail(e, fmt.Sprintf("type %d is not a string array", e.typ))
		return nil
	}
	if e.count > maxFiles {
		r.fail(e, fmt.Sprintf("%d strings, at most %d allowed", e.count, maxFiles))
		return nil
	}
	return r.strings(e, int(e.count))
}

// files joins DIRNAMES[DIRINDEXES[i]] and BASENAMES[i], or reads the old
// OLDFILENAMES list, into relative slash paths.
func (r *reader) files() ([]string, error) {
	base := r.stringArray(tagBasenames)
	var out []string
	if base != nil {
		dirs := r.stringArray(tagDirnames)
		idx := r.int32s(tagDirIndexes, maxFiles)
		if r.err != nil {
			return nil, r.err
		}
		if len(idx) != len(base) {
			return nil, fmt.Errorf("%w: %d basenames but %d dir indexes", ErrBadHeader, len(base), len(idx))
		}
		out = make([]string, 0, len(base))
		for i, b := range base {
			if int64(idx[i]) >= int64(len(dirs)) {
				return nil, fmt.Errorf("%w: dir index %d of %d dirnames", ErrBadHeader, idx[i], len(dirs))
			}
			out = append(out, relPath(dirs[idx[i]]+b))
		}
		return out, nil
	}
	old := r.stringArray(tagOldFilenames)
	if r.err != nil {
		return nil, r.err
	}
	for _, f := range old {
		out = append(out, relPath(f))
	}
	return out, nil
}

func relPath(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
