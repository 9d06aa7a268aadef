package vulndb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// Writer collects records and enrichment, then writes a database file.
// Records with the same source and id are deduplicated, the most recently
// modified kept.
type Writer struct {
	meta    Meta
	records map[string]*stored // by source \x00 id
	cves    map[string]*CVEInfo
}

type stored struct {
	source string
	id     string
	mod    int64
	rec    *osv.Record
	keys   []string // package key prefixes
}

// NewWriter starts a database with the given metadata (Built, Tool,
// Sources are kept; counts and tables are computed).
func NewWriter(m Meta) *Writer {
	m.Schema = Schema
	return &Writer{meta: m, records: map[string]*stored{}, cves: map[string]*CVEInfo{}}
}

// AddSource appends a source's description to the metadata.
func (w *Writer) AddSource(s SourceInfo) { w.meta.Sources = append(w.meta.Sources, s) }

// Advisory adds one record from source. Withdrawn records and records
// with no affected package are counted and left out.
//
// A record whose source and id were seen before replaces the earlier one
// when it was modified later, and is dropped when it is older. With the
// same modification time the two are parts of one advisory (feeds such as
// Debian's tracker and Alpine's secdb publish one entry per package and
// release under the same id) and are merged: affected entries, aliases,
// upstream, related ids and references are joined.
func (w *Writer) Advisory(source string, r *osv.Record) (added bool, err error) {
	if r.ID == "" {
		return false, fmt.Errorf("record without id")
	}
	if strings.ContainsRune(source, 0) || strings.ContainsRune(r.ID, 0) {
		return false, fmt.Errorf("record %q: NUL in id", r.ID)
	}
	if r.Withdrawn != nil {
		w.meta.Counts.Withdrawn++
		return false, nil
	}
	id := source + "\x00" + r.ID
	mod := r.Modified.UnixNano()
	rec := r
	old, seen := w.records[id]
	switch {
	case seen && old.mod > mod:
		return false, nil
	case seen && old.mod == mod:
		rec = merge(old.rec, r)
	default:
		c := *r
		rec = &c
	}
	keys, err := packageKeys(rec)
	if err != nil || len(keys) == 0 {
		return false, err
	}
	w.records[id] = &stored{source: source, id: r.ID, mod: mod, rec: rec, keys: keys}
	return !seen, nil
}

func packageKeys(r *osv.Record) ([]string, error) {
	var keys []string
	for _, a := range r.Affected {
		if a.Package.Ecosystem == "" || a.Package.Name == "" {
			continue
		}
		if strings.ContainsRune(a.Package.Name, 0) || strings.ContainsRune(a.Package.Ecosystem, 0) {
			return nil, fmt.Errorf("record %s: NUL in package name", r.ID)
		}
		keys = append(keys, packageKey(a.Package.Ecosystem, a.Package.Name))
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// merge joins two parts of one advisory into a new record.
func merge(a, b *osv.Record) *osv.Record {
	out := *a
	out.Affected = slices.Clone(a.Affected)
	have := map[string]bool{}
	for _, x := range out.Affected {
		k, _ := json.Marshal(x)
		have[string(k)] = true
	}
	for _, x := range b.Affected {
		k, _ := json.Marshal(x)
		if !have[string(k)] {
			have[string(k)] = true
			out.Affected = append(out.Affected, x)
		}
	}
	union := func(x, y []string) []string {
		z := append(slices.Clone(x), y...)
		slices.Sort(z)
		return slices.Compact(z)
	}
	out.Aliases = union(a.Aliases, b.Aliases)
	out.Upstream = union(a.Upstream, b.Upstream)
	out.Related = union(a.Related, b.Related)
	refs := slices.Clone(a.References)
	for _, r := range b.References {
		if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	out.References = refs
	if out.Summary == "" {
		out.Summary = b.Summary
	}
	if out.Details == "" {
		out.Details = b.Details
	}
	return &out
}

func (w *Writer) cve(id string) *CVEInfo {
	c := w.cves[id]
	if c == nil {
		c = &CVEInfo{ID: id}
		w.cves[id] = c
	}
	return c
}

// Score adds a CVE's scores; a later score from the same source replaces
// the earlier.
func (w *Writer) Score(s *feed.Score) {
	c := w.cve(s.CVE)
	for i := range c.Scores {
		if c.Scores[i].Source == s.Source {
			c.Scores[i] = *s
			return
		}
	}
	c.Scores = append(c.Scores, *s)
}

// KEV marks a CVE as known exploited.
func (w *Writer) KEV(k *feed.KEV) { kk := *k; w.cve(k.CVE).KEV = &kk }

// EPSS sets a CVE's EPSS score.
func (w *Writer) EPSS(e *feed.EPSS) { ee := *e; w.cve(e.CVE).EPSS = &ee }

// WriteTo writes the database, signed with key when key is not nil.
func (w *Writer) WriteTo(out io.Writer, key *PrivateKey) (Meta, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return Meta{}, err
	}
	defer enc.Close()
	var payload bytes.Buffer
	payload.WriteString(magicStart)

	// Advisories: the record lives under its first package key; its other
	// packages hold a reference to that entry.
	type entry struct {
		key string
		val []byte
	}
	var entries []entry
	pkgs := map[string]bool{}
	for _, s := range w.records {
		b, err := json.Marshal(s.rec)
		if err != nil {
			return Meta{}, err
		}
		primary := s.keys[0] + s.source + "\x00" + s.id
		entries = append(entries, entry{primary, b})
		pkgs[s.keys[0]] = true
		for _, k := range s.keys[1:] {
			entries = append(entries, entry{k + s.source + "\x00" + s.id, append([]byte{0}, primary...)})
			pkgs[k] = true
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	tw := newTableWriter(enc, &payload)
	for _, e := range entries {
		if err := tw.add(e.key, e.val); err != nil {
			return Meta{}, err
		}
	}
	w.meta.Tables.Advisories = tw.close()
	w.meta.Counts.Advisories = len(w.records)
	w.meta.Counts.Packages = len(pkgs)

	ids := make([]string, 0, len(w.cves))
	for id := range w.cves {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	tw = newTableWriter(enc, &payload)
	w.meta.Counts.CVEs, w.meta.Counts.Scores, w.meta.Counts.KEV, w.meta.Counts.EPSS = len(ids), 0, 0, 0
	for _, id := range ids {
		c := w.cves[id]
		if len(c.Scores) > 0 {
			w.meta.Counts.Scores++
		}
		if c.KEV != nil {
			w.meta.Counts.KEV++
		}
		if c.EPSS != nil {
			w.meta.Counts.EPSS++
		}
		b, err := json.Marshal(c)
		if err != nil {
			return Meta{}, err
		}
		if err := tw.add(id, b); err != nil {
			return Meta{}, err
		}
	}
	w.meta.Tables.CVEs = tw.close()

	mb, err := json.Marshal(&w.meta)
	if err != nil {
		return Meta{}, err
	}
	off := payload.Len()
	payload.Write(mb)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(off))
	payload.Write(n[:])
	binary.LittleEndian.PutUint64(n[:], uint64(len(mb)))
	payload.Write(n[:])
	payload.WriteString(magicMeta)

	if _, err := out.Write(payload.Bytes()); err != nil {
		return Meta{}, err
	}
	if key != nil {
		bundle, err := sign(key, payload.Bytes())
		if err != nil {
			return Meta{}, err
		}
		binary.LittleEndian.PutUint64(n[:], uint64(len(bundle)))
		for _, b := range [][]byte{bundle, n[:], []byte(magicSig)} {
			if _, err := out.Write(b); err != nil {
				return Meta{}, err
			}
		}
	}
	return w.meta, nil
}

// Sign appends a signature to an unsigned database held in data, or
// replaces the signature of a signed one.
func Sign(data []byte, key *PrivateKey) ([]byte, error) {
	payload, _, err := split(data)
	if err != nil {
		return nil, err
	}
	bundle, err := sign(key, payload)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(payload)+len(bundle)+16)
	out = append(out, payload...)
	out = append(out, bundle...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(bundle)))
	return append(out, magicSig...), nil
}
