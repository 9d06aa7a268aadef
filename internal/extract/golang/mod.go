package golang

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxModSize bounds a go.mod file; real ones are a few kilobytes.
const maxModSize = 4 << 20

// ModExtractor reads the requirements of go.mod files.
type ModExtractor struct{}

var _ extract.Extractor = (*ModExtractor)(nil)

// NewModExtractor returns the go/mod extractor.
func NewModExtractor() *ModExtractor { return &ModExtractor{} }

// Name implements extract.Extractor.
func (*ModExtractor) Name() string { return "go/mod" }

// Version implements extract.Extractor.
func (*ModExtractor) Version() int { return 1 }

// Match claims files named go.mod outside the module cache: a go.mod under
// "pkg/mod/" belongs to a downloaded dependency, which is already reported
// through the go.mod (or binary) that requires it, and its own
// requirements are not what the build selected.
func (*ModExtractor) Match(p string, info fs.FileInfo) bool {
	if path.Base(p) != "go.mod" {
		return false
	}
	if strings.HasPrefix(p, "pkg/mod/") || strings.Contains(p, "/pkg/mod/") {
		return false
	}
	return info == nil || info.Size() <= maxModSize
}

// Extract reports every required module, with replace directives applied,
// at the line of its require.
func (*ModExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Size > maxModSize {
		return nil, fmt.Errorf("go/mod: %s: %d bytes is over the %d-byte limit", in.Path, in.Size, maxModSize)
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, maxModSize+1))
	if err != nil {
		return nil, fmt.Errorf("go/mod: read %s: %w", in.Path, err)
	}
	return parseMod(in.Path, data)
}

func parseMod(name string, data []byte) ([]inventory.Package, error) {
	f, err := modfile.Parse(name, data, nil)
	if err != nil {
		// ParseLax skips what only the main module may say (unknown
		// directives, say) and may still read the requirements.
		lax, lerr := modfile.ParseLax(name, data, nil)
		if lerr != nil {
			return nil, fmt.Errorf("go/mod: parse: %w", err)
		}
		f = lax
	}
	var out []inventory.Package
	for _, r := range f.Require {
		if r == nil {
			continue
		}
		p, v := applyReplace(f.Replace, r.Mod.Path, r.Mod.Version)
		pkg := newPackage(p, v)
		if r.Syntax != nil {
			pkg.Locations = []inventory.Location{{Line: r.Syntax.Start.Line}}
		}
		out = append(out, pkg)
	}
	return out, nil
}

// applyReplace returns the module that replaces path@version: a replace
// naming the exact version wins over one naming the path alone. A
// replacement by a local directory keeps the required path with an unknown
// version, since the code is not that module at any published version.
func applyReplace(reps []*modfile.Replace, p, v string) (string, string) {
	var match *modfile.Replace
	for _, r := range reps {
		if r == nil || r.Old.Path != p {
			continue
		}
		if r.Old.Version == v {
			match = r
			break
		}
		if r.Old.Version == "" && match == nil {
			match = r
		}
	}
	if match == nil {
		return p, v
	}
	if match.New.Version == "" {
		return p, ""
	}
	return match.New.Path, match.New.Version
}
