package python

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/jsonline"
	"github.com/pavesec/pave/internal/inventory"
)

// PipfileLock reads Pipenv's Pipfile.lock: the "default" section holds
// runtime packages, "develop" dev ones (Dev). A package in both is
// reported once, as runtime. Entries without a "==" version (editable
// paths, VCS checkouts) pin nothing and are skipped.
type PipfileLock struct{}

var _ extract.Extractor = (*PipfileLock)(nil)

// NewPipfileLock returns the Pipfile.lock extractor.
func NewPipfileLock() *PipfileLock { return &PipfileLock{} }

// Name implements extract.Extractor.
func (*PipfileLock) Name() string { return "python/pipfilelock" }

// Version implements extract.Extractor.
func (*PipfileLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*PipfileLock) Match(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "Pipfile.lock" && !extract.InsideInstalledPackage(p)
}

type pipfileEntry struct {
	Version string `json:"version"`
}

// Extract implements extract.Extractor.
func (*PipfileLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxLockSize)
	if err != nil {
		return nil, fmt.Errorf("pipfilelock: read %s: %w", in.Path, err)
	}
	var lock struct {
		Default map[string]pipfileEntry `json:"default"`
		Develop map[string]pipfileEntry `json:"develop"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("pipfilelock: parse %s: %w", in.Path, err)
	}
	lines := map[string]int{}
	_ = jsonline.KeyLines(data, maxNesting, func(p []string, line int) bool { // best effort: the document already decoded
		if len(p) == 1 {
			return p[0] == "default" || p[0] == "develop"
		}
		lines[p[0]+"\x00"+p[1]] = line
		return false
	})
	var out []inventory.Package
	var errs []string
	seen := map[string]bool{}
	for _, sec := range []struct {
		name    string
		entries map[string]pipfileEntry
	}{{"default", lock.Default}, {"develop", lock.Develop}} {
		names := make([]string, 0, len(sec.entries))
		for n := range sec.entries {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			v := sec.entries[n].Version
			if v == "" {
				continue
			}
			ver, ok := strings.CutPrefix(v, "===")
			if !ok {
				ver, ok = strings.CutPrefix(v, "==")
			}
			if !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: version %q is not a pin", sec.name, trunc(n), trunc(v)))
				continue
			}
			p, ok := newPackage(n, ver, lines[sec.name+"\x00"+n])
			if !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: invalid name or version %q", sec.name, trunc(n), trunc(v)))
				continue
			}
			if seen[p.PURL] {
				continue
			}
			seen[p.PURL] = true
			p.Dev = sec.name == "develop"
			out = append(out, p)
		}
	}
	return out, extract.JoinErrors("pipfilelock", in.Path, errs)
}
