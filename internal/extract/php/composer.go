// Package php finds Composer packages: those locked by composer.lock
// (php/composerlock) and those installed in a vendor directory, as
// vendor/composer/installed.json records them (php/installed).
package php

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxFileSize bounds a composer.lock or installed.json.
const maxFileSize = 64 << 20

// LockExtractor reads composer.lock.
type LockExtractor struct{}

// InstalledExtractor reads vendor/composer/installed.json.
type InstalledExtractor struct{}

var (
	_ extract.Extractor = (*LockExtractor)(nil)
	_ extract.Extractor = (*InstalledExtractor)(nil)
)

// NewLockExtractor returns the php/composerlock extractor.
func NewLockExtractor() *LockExtractor { return &LockExtractor{} }

// NewInstalledExtractor returns the php/installed extractor.
func NewInstalledExtractor() *InstalledExtractor { return &InstalledExtractor{} }

// Name implements extract.Extractor.
func (*LockExtractor) Name() string { return "php/composerlock" }

// Name implements extract.Extractor.
func (*InstalledExtractor) Name() string { return "php/installed" }

// Version implements extract.Extractor.
func (*LockExtractor) Version() int { return 1 }

// Version implements extract.Extractor.
func (*InstalledExtractor) Version() int { return 1 }

// Match claims files named composer.lock.
func (*LockExtractor) Match(p string, info fs.FileInfo) bool {
	return path.Base(p) == "composer.lock" && (info == nil || info.Size() <= maxFileSize)
}

// Match claims installed.json in a "composer" directory under "vendor"
// (the directory may be renamed by config.vendor-dir; the "composer" part
// is fixed).
func (*InstalledExtractor) Match(p string, info fs.FileInfo) bool {
	return path.Base(p) == "installed.json" && path.Base(path.Dir(p)) == "composer" &&
		(info == nil || info.Size() <= maxFileSize)
}

// Extract reports "packages" and, marked Dev, "packages-dev".
func (*LockExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := readAll(ctx, in)
	if err != nil {
		return nil, err
	}
	pkgs, err := parseLock(data)
	if err != nil {
		return pkgs, fmt.Errorf("php/composerlock: %s: %w", in.Path, err)
	}
	return pkgs, nil
}

// Extract reports the installed packages of both layouts: Composer 1's
// top-level array and Composer 2's {"packages": [...], "dev-package-names":
// [...]}, whose dev names mark packages Dev.
func (*InstalledExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := readAll(ctx, in)
	if err != nil {
		return nil, err
	}
	pkgs, err := parseInstalled(data)
	if err != nil {
		return pkgs, fmt.Errorf("php/installed: %s: %w", in.Path, err)
	}
	return pkgs, nil
}

func readAll(ctx context.Context, in *extract.Input) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Size > maxFileSize {
		return nil, fmt.Errorf("php: %s: over the %d-byte limit", in.Path, maxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, maxFileSize))
	if err != nil {
		return nil, fmt.Errorf("php: read %s: %w", in.Path, err)
	}
	return data, nil
}

type composerPackage struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	License json.RawMessage `json:"license"` // an array, or a string in old files
}

// located is a package with the byte offset of its object.
type located struct {
	composerPackage
	offset int64
}

func parseLock(data []byte) ([]inventory.Package, error) {
	arrays, _, err := topLevelArrays(data, "packages", "packages-dev")
	var out []inventory.Package
	lines := newLineIndex(data)
	for _, key := range []string{"packages", "packages-dev"} {
		for _, p := range arrays[key] {
			if pkg, ok := toPackage(p, lines); ok {
				pkg.Dev = key == "packages-dev"
				out = append(out, pkg)
			}
		}
	}
	return out, err
}

func parseInstalled(data []byte) ([]inventory.Package, error) {
	lines := newLineIndex(data)
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	var list []located
	var devNames []string
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' {
		list, err = decodeArray(json.NewDecoder(bytes.NewReader(data)))
	} else {
		var arrays map[string][]located
		var raw map[string]json.RawMessage
		arrays, raw, err = topLevelArrays(data, "packages")
		list = arrays["packages"]
		if r, ok := raw["dev-package-names"]; ok {
			_ = json.Unmarshal(r, &devNames) // optional: a bad list marks nothing dev
		}
	}
	dev := map[string]bool{}
	for _, n := range devNames {
		dev[n] = true
	}
	var out []inventory.Package
	for _, p := range list {
		if pkg, ok := toPackage(p, lines); ok {
			pkg.Dev = dev[p.Name]
			out = append(out, pkg)
		}
	}
	return out, err
}

// topLevelArrays decodes the arrays under keys of the top-level object,
// keeping each element's offset, and returns the other members raw. What
// was decoded before an error is returned with it.
func topLevelArrays(data []byte, keys ...string) (map[string][]located, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	arrays := map[string][]located{}
	raw := map[string]json.RawMessage{}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("parse: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, errors.New("parse: not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return arrays, raw, fmt.Errorf("parse: %w", err)
		}
		key, _ := tok.(string)
		wanted := false
		for _, k := range keys {
			wanted = wanted || k == key
		}
		if wanted {
			list, err := decodeArray(dec)
			arrays[key] = append(arrays[key], list...)
			if err != nil {
				return arrays, raw, fmt.Errorf("parse %q: %w", key, err)
			}
			continue
		}
		var r json.RawMessage
		if err := dec.Decode(&r); err != nil {
			return arrays, raw, fmt.Errorf("parse %q: %w", key, err)
		}
		raw[key] = r
	}
	return arrays, raw, nil
}

// decodeArray reads an array of package objects from dec, recording where
// each starts. A null is an empty array.
func decodeArray(dec *json.Decoder) ([]located, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errors.New("not an array")
	}
	var out []located
	for dec.More() {
		off := dec.InputOffset()
		var p composerPackage
		if err := dec.Decode(&p); err != nil {
			return out, err
		}
		out = append(out, located{p, off})
	}
	_, err = dec.Token() // ']'
	return out, err
}

func toPackage(p located, lines lineIndex) (inventory.Package, bool) {
	if p.Name == "" || p.Version == "" {
		return inventory.Package{}, false
	}
	vendor, name, _ := strings.Cut(p.Name, "/")
	if name == "" {
		vendor, name = "", vendor
	}
	pkg := inventory.Package{
		Name:      p.Name,
		Version:   p.Version,
		Ecosystem: inventory.Composer,
		PURL:      inventory.PURL(inventory.Composer, vendor, name, p.Version, nil),
		Licenses:  licenses(p.License),
		Locations: []inventory.Location{{Line: lines.line(p.offset)}},
	}
	return pkg, true
}

func licenses(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}

// lineIndex maps byte offsets to 1-based lines.
type lineIndex struct {
	data     []byte
	newlines []int64 // offsets of '\n'
}

func newLineIndex(data []byte) lineIndex {
	var nl []int64
	for i, c := range data {
		if c == '\n' {
			nl = append(nl, int64(i))
		}
	}
	return lineIndex{data, nl}
}

// line returns the line of the first non-space byte at or after off (a
// decoder offset points just past the previous token).
func (l lineIndex) line(off int64) int {
	if off < 0 || off > int64(len(l.data)) {
		return 0
	}
	for off < int64(len(l.data)) {
		c := l.data[off]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ',' {
			break
		}
		off++
	}
	n, _ := slices.BinarySearch(l.newlines, off)
	return n + 1
}
