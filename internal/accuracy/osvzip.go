package accuracy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/osvfeed"
	"github.com/pavesec/pave/internal/osv"
)

// Bounds against hostile record trees.
const (
	// MaxRecordSize bounds one record file.
	MaxRecordSize = 16 << 20
	// MaxRecords bounds the records BuildZips reads in all.
	MaxRecords = 2_000_000
)

// ZipStats says what BuildZips wrote.
type ZipStats struct {
	// Records counts the records written into each ecosystem's zip (a
	// record naming two ecosystems counts in both).
	Records map[string]int
	// Files counts the record files read.
	Files int
	// Duplicates lists record ids met more than once; the first one read
	// is kept.
	Duplicates []string
	// Skipped lists files that are not OSV records, with the reason.
	Skipped []string
}

// BuildZips reads OSV records (JSON, or YAML as PyPA publishes them) from
// the files and directories in srcs and writes them as osv.dev exports
// them: one DIR/<ecosystem>/all.zip per ecosystem, each holding
// <id>.json for every record whose affected entries name that ecosystem
// (the part of "Debian:12" before the colon). YAML records are converted
// with the same converter pave's OSV feed uses, so both scanners read
// identical JSON. Zips are deterministic: entries sorted, fixed times.
func BuildZips(ctx context.Context, dir string, srcs []string) (*ZipStats, error) {
	st := &ZipStats{Records: map[string]int{}}
	byEco := map[string]map[string][]byte{} // ecosystem → id → JSON
	seen := map[string]bool{}
	add := func(path string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".json" && ext != ".yaml" && ext != ".yml" {
			return nil
		}
		st.Files++
		if st.Files > MaxRecords {
			return fmt.Errorf("more than %d record files", MaxRecords)
		}
		data, err := readBounded(path, MaxRecordSize)
		if err != nil {
			return err
		}
		if ext != ".json" {
			if data, err = osvfeed.YAMLToJSON(data); err != nil {
				st.Skipped = append(st.Skipped, fmt.Sprintf("%s: %v", path, err))
				return nil
			}
		}
		var rec struct {
			ID       string `json:"id"`
			Affected []struct {
				Package struct {
					Ecosystem string `json:"ecosystem"`
				} `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(data, &rec); err != nil || rec.ID == "" {
			why := "no id"
			if err != nil {
				why = err.Error()
			}
			st.Skipped = append(st.Skipped, fmt.Sprintf("%s: not an OSV record: %s", path, why))
			return nil
		}
		if seen[rec.ID] {
			st.Duplicates = append(st.Duplicates, rec.ID)
			return nil
		}
		seen[rec.ID] = true
		for _, a := range rec.Affected {
			eco, _, _ := strings.Cut(a.Package.Ecosystem, ":")
			if eco == "" {
				continue
			}
			if byEco[eco] == nil {
				byEco[eco] = map[string][]byte{}
			}
			byEco[eco][rec.ID] = data
		}
		return nil
	}
	for _, src := range srcs {
		err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			return add(path)
		})
		if err != nil {
			return nil, fmt.Errorf("accuracy: read records: %w", err)
		}
	}
	for eco, recs := range byEco {
		if err := writeZip(filepath.Join(dir, eco, "all.zip"), recs); err != nil {
			return nil, err
		}
		st.Records[eco] = len(recs)
	}
	slices.Sort(st.Duplicates)
	return st, nil
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// zipTime is the modification time of every zip entry, so that the same
// records make the same bytes.
var zipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func writeZip(path string, recs map[string][]byte) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ids := make([]string, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: id + ".json", Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return err
		}
		if _, err := w.Write(recs[id]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadZipRecords returns the records with the given ids from the
// all.zip files under dir (as BuildZips writes them), keyed by id.
func ReadZipRecords(dir string, ids map[string]bool) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	zips, err := filepath.Glob(filepath.Join(dir, "*", "all.zip"))
	if err != nil {
		return nil, err
	}
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			return nil, fmt.Errorf("accuracy: %s: %w", z, err)
		}
		for _, f := range zr.File {
			id := strings.TrimSuffix(f.Name, ".json")
			if !ids[id] || out[id] != nil {
				continue
			}
			if f.UncompressedSize64 > MaxRecordSize {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				zr.Close()
				return nil, err
			}
			data, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize))
			rc.Close()
			if err != nil {
				zr.Close()
				return nil, fmt.Errorf("accuracy: %s: %s: %w", z, f.Name, err)
			}
			out[id] = data
		}
		zr.Close()
	}
	if len(out) == 0 && len(ids) > 0 {
		return out, errors.New("accuracy: none of the records found")
	}
	return out, nil
}

// ConvertFeed runs one of pave's feed parsers (Debian's DSA/DLA/DTSA
// lists, the GHSA CSV files) over files and adds the OSV records it
// makes to dir/<ecosystem>/all.zip, so that osv-scanner, which reads
// only OSV, sees exactly what pave's feed imports. A zip already there
// keeps its records; a record whose id it holds is not added again. It
// returns the records added per ecosystem.
func ConvertFeed(ctx context.Context, dir string, p feed.Parser, files []string) (map[string]int, error) {
	var col feed.Collector
	parse := func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := p.Parse(ctx, feedName(path), io.LimitReader(f, 1<<30), &col); err != nil {
			return fmt.Errorf("accuracy: %s: %w", path, err)
		}
		return nil
	}
	for _, path := range files {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := parse(path); err != nil {
				return nil, err
			}
			continue
		}
		// A directory: the files the parser claims.
		err = filepath.WalkDir(path, func(q string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() || !p.Match(feedName(q)) {
				return err
			}
			return parse(q)
		})
		if err != nil {
			return nil, err
		}
	}
	// Ids already in the other ecosystems' zips. osv.dev's ids are unique
	// across ecosystems, and pave's database keeps one record per id and
	// source (all zips are one "osv" source); the converters name records
	// by CVE, so a CVE that RubySec and GHSA both describe would reach
	// osv-scanner twice and pave once. Such a record is renamed
	// "<ecosystem>-<id>" with its id kept as an alias: the same data for
	// both tools.
	taken, err := zipIDs(dir)
	if err != nil {
		return nil, err
	}
	byEco := map[string]map[string][]byte{}
	for i := range col.Advisories {
		r := &col.Advisories[i]
		eco0, _, _ := strings.Cut(firstEcosystem(r), ":")
		if owner, ok := taken[r.ID]; ok && owner != eco0 {
			r.Aliases = append(r.Aliases, r.ID)
			r.ID = eco0 + "-" + r.ID
		}
		taken[r.ID] = eco0
		data, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("accuracy: %s: %w", r.ID, err)
		}
		for _, a := range r.Affected {
			eco, _, _ := strings.Cut(a.Package.Ecosystem, ":")
			if eco == "" {
				continue
			}
			if byEco[eco] == nil {
				byEco[eco] = map[string][]byte{}
			}
			byEco[eco][r.ID] = data
		}
	}
	added := map[string]int{}
	for eco, recs := range byEco {
		path := filepath.Join(dir, eco, "all.zip")
		old, err := readZip(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for id, data := range recs {
			if _, ok := old[id]; !ok {
				if old == nil {
					old = map[string][]byte{}
				}
				old[id] = data
				added[eco]++
			}
		}
		if err := writeZip(path, old); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// feedName is the path a feed parser sees: the last three elements, as
// the feed lays its files out ("data/DSA/list", "gems/rack/CVE-x.yml").
func feedName(path string) string {
	parts := strings.Split(filepath.ToSlash(path), "/")
	if len(parts) > 3 {
		parts = parts[len(parts)-3:]
	}
	return strings.Join(parts, "/")
}

// Empty writes an empty dir/<ecosystem>/all.zip for each ecosystem that
// has none: osv-scanner's offline mode gives up on every package, and
// reports nothing, when one ecosystem present in the input has no zip.
func Empty(dir string, ecosystems []string) ([]string, error) {
	var made []string
	for _, e := range ecosystems {
		path := filepath.Join(dir, e, "all.zip")
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := writeZip(path, nil); err != nil {
			return nil, err
		}
		made = append(made, e)
	}
	return made, nil
}

// firstEcosystem returns the ecosystem of a record's first affected entry.
func firstEcosystem(r *osv.Record) string {
	for _, a := range r.Affected {
		if a.Package.Ecosystem != "" {
			return a.Package.Ecosystem
		}
	}
	return ""
}

// zipIDs returns the ids of the records in every dir/<ecosystem>/all.zip,
// each with the ecosystem whose zip holds it (the first, by name).
func zipIDs(dir string) (map[string]string, error) {
	zips, err := filepath.Glob(filepath.Join(dir, "*", "all.zip"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			return nil, fmt.Errorf("accuracy: %s: %w", z, err)
		}
		eco := filepath.Base(filepath.Dir(z))
		for _, f := range zr.File {
			id := strings.TrimSuffix(f.Name, ".json")
			if _, ok := out[id]; !ok {
				out[id] = eco
			}
		}
		zr.Close()
	}
	return out, nil
}

// readZip returns the records of one all.zip by id.
func readZip(path string) (map[string][]byte, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		if f.UncompressedSize64 > MaxRecordSize {
			return nil, fmt.Errorf("accuracy: %s: %s is larger than %d bytes", path, f.Name, MaxRecordSize)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("accuracy: %s: %s: %w", path, f.Name, err)
		}
		out[strings.TrimSuffix(f.Name, ".json")] = data
	}
	return out, nil
}
