// Package osvfeed reads OSV records as their databases publish them: one
// JSON record per file (osv.dev's per-ecosystem all.zip, the Go and
// RustSec databases, AlmaLinux, GHSA), one YAML record per file (PyPA's
// advisory-database), or a JSON array of records.
//
// Records are checked against the parts of the OSV schema the matcher
// relies on and passed on unchanged: nothing is normalised. A record that
// fails a check is not reported; the file's error names the record and
// the field. Withdrawn records are reported like any other (the database
// counts them and leaves them out of matching).
package osvfeed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/feed"
)

// DefaultURLs are osv.dev's exports of whole ecosystems, one zip of
// <ID>.json records each (https://google.github.io/osv.dev/data/).
var DefaultURLs = []string{
	"https://osv-vulnerabilities.storage.googleapis.com/AlmaLinux/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/Hex/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/NuGet/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/Packagist/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/Pub/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip",
	"https://osv-vulnerabilities.storage.googleapis.com/RubyGems/all.zip",
}

// Limits against hostile input.
const (
	// MaxFileSize bounds one JSON file (a single record or an array).
	MaxFileSize = 256 << 20
	// MaxYAMLSize bounds one YAML file, which is parsed whole.
	MaxYAMLSize = 16 << 20
	// MaxRecordSize bounds one record inside an array.
	MaxRecordSize = 32 << 20
	// MaxRecords bounds the records of one file.
	MaxRecords = 500_000
	// maxErrors is how many bad records one file error lists.
	maxErrors = 5
)

// ErrTooLarge: a file or record over its limit.
var ErrTooLarge = errors.New("too large")

// Parser reads OSV JSON and YAML files.
type Parser struct{}

var _ feed.Parser = Parser{}

// New returns the OSV parser.
func New() feed.Parser { return Parser{} }

// Name implements feed.Parser.
func (Parser) Name() string { return "osv" }

// notRecords are file names in OSV repositories and exports that are not
// records: indexes (vuln.go.dev's index/*.json), schemas, tool and CI
// configuration.
var notRecords = map[string]bool{
	"index.json": true, "db.json": true, "modules.json": true, "vulns.json": true,
	"schema.json": true, "package.json": true, "package-lock.json": true,
	"tsconfig.json": true, "renovate.json": true, "composer.json": true,
	"mkdocs.yml": true, "mkdocs.yaml": true, "action.yml": true, "action.yaml": true,
	"codecov.yml": true, "docker-compose.yml": true, "docker-compose.yaml": true,
	"dependabot.yml": true, "cloudbuild.yaml": true, "cloudbuild.yml": true,
}

// Match implements feed.Parser: every .json, .yaml and .yml file except
// known non-record files, hidden files and files under hidden or "index"
// directories.
func (Parser) Match(p string) bool {
	base := strings.ToLower(path.Base(p))
	switch path.Ext(base) {
	case ".json", ".yaml", ".yml":
	default:
		return false
	}
	if notRecords[base] || strings.HasSuffix(base, ".schema.json") {
		return false
	}
	for _, dir := range strings.Split(p, "/") {
		if strings.HasPrefix(dir, ".") || strings.EqualFold(dir, "index") {
			return false
		}
	}
	return true
}

// Parse implements feed.Parser. A .yaml or .yml file holds one record (or
// a sequence of them); a .json file holds one record or an array.
func (Parser) Parse(ctx context.Context, p string, r io.Reader, out feed.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml":
		data, err := readAll(r, MaxYAMLSize)
		if err != nil {
			return fmt.Errorf("osv: %s: %w", p, err)
		}
		js, err := YAMLToJSON(data)
		if err != nil {
			return fmt.Errorf("osv: %s: %w", p, err)
		}
		return parseJSON(ctx, p, bytes.NewReader(js), out)
	}
	return parseJSON(ctx, p, io.LimitReader(r, MaxFileSize+1), out)
}

// parseJSON reads one record or an array of records.
func parseJSON(ctx context.Context, p string, r io.Reader, out feed.Sink) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		return fmt.Errorf("osv: %s: %w", p, err)
	}
	if first != '[' {
		data, err := readAll(br, MaxFileSize)
		if err != nil {
			return fmt.Errorf("osv: %s: %w", p, err)
		}
		rec, err := Decode(data)
		if err != nil {
			return fmt.Errorf("osv: %s: %w", p, err)
		}
		if err := out.Advisory(rec); err != nil {
			return fmt.Errorf("osv: %s: %w", p, err)
		}
		return nil
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("osv: %s: %w", p, err)
	}
	var errs []string
	bad := 0
	for n := 0; dec.More(); n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n >= MaxRecords {
			return fmt.Errorf("osv: %s: more than %d records: %w", p, MaxRecords, ErrTooLarge)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return joinBad(p, errs, bad, fmt.Errorf("record %d: %w", n, err))
		}
		if len(raw) > MaxRecordSize {
			return joinBad(p, errs, bad, fmt.Errorf("record %d: %w (over %d bytes)", n, ErrTooLarge, MaxRecordSize))
		}
		rec, err := Decode(raw)
		if err != nil {
			bad++
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Sprintf("record %d: %v", n, err))
			}
			continue
		}
		if err := out.Advisory(rec); err != nil {
			return fmt.Errorf("osv: %s: %w", p, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return joinBad(p, errs, bad, fmt.Errorf("after the records: %w", err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return joinBad(p, errs, bad, errors.New("data after the array"))
	}
	return joinBad(p, errs, bad, nil)
}

// joinBad makes one error out of the bad records of a file and a final
// error, if any.
func joinBad(p string, errs []string, bad int, final error) error {
	if bad == 0 && final == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "osv: %s:", p)
	if bad > 0 {
		fmt.Fprintf(&b, " %d bad records (%s", bad, strings.Join(errs, "; "))
		if bad > len(errs) {
			b.WriteString("; …")
		}
		b.WriteString(")")
	}
	if final != nil {
		if bad > 0 {
			b.WriteString(";")
		}
		return fmt.Errorf("%s %w", b.String(), final)
	}
	return errors.New(b.String())
}

// firstByte returns the first byte that is not JSON white space, leaving
// it unread.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return 0, errors.New("empty file")
		}
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, br.UnreadByte()
	}
}

// readAll reads r whole, failing past max bytes.
func readAll(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return data, nil
}
