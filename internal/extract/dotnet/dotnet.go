// Package dotnet finds NuGet packages: those an application was built
// against, from its *.deps.json (dotnet/depsjson), and those a project's
// packages.lock.json pins (dotnet/packageslock).
package dotnet

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxFileSize bounds a deps.json or packages.lock.json.
const maxFileSize = 64 << 20

// DepsExtractor reads the dependency manifest the .NET SDK writes beside
// every application and library it builds (NAME.deps.json).
type DepsExtractor struct{}

// LockExtractor reads NuGet's packages.lock.json.
type LockExtractor struct{}

var (
	_ extract.Extractor = (*DepsExtractor)(nil)
	_ extract.Extractor = (*LockExtractor)(nil)
)

// NewDepsExtractor returns the dotnet/depsjson extractor.
func NewDepsExtractor() *DepsExtractor { return &DepsExtractor{} }

// NewLockExtractor returns the dotnet/packageslock extractor.
func NewLockExtractor() *LockExtractor { return &LockExtractor{} }

// Name implements extract.Extractor.
func (*DepsExtractor) Name() string { return "dotnet/depsjson" }

// Name implements extract.Extractor.
func (*LockExtractor) Name() string { return "dotnet/packageslock" }

// Version implements extract.Extractor.
func (*DepsExtractor) Version() int { return 1 }

// Version implements extract.Extractor.
func (*LockExtractor) Version() int { return 1 }

// Match claims files ending in ".deps.json".
func (*DepsExtractor) Match(p string, info fs.FileInfo) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, ".deps.json") && len(b) > len(".deps.json") && (info == nil || info.Size() <= maxFileSize)
}

// Match claims files named packages.lock.json.
func (*LockExtractor) Match(p string, info fs.FileInfo) bool {
	return path.Base(p) == "packages.lock.json" && (info == nil || info.Size() <= maxFileSize)
}

type depsFile struct {
	Libraries map[string]struct {
		Type string `json:"type"`
	} `json:"libraries"`
}

// Extract reports the libraries of type "package", and of type
// "runtimepack" (the runtime a self-contained application carries) under
// the runtime pack's NuGet name, without the "runtimepack." prefix.
// Projects and references are the application's own code and are left out.
func (*DepsExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := readAll(ctx, in)
	if err != nil {
		return nil, err
	}
	pkgs, err := parseDeps(data)
	if err != nil {
		return nil, fmt.Errorf("dotnet/depsjson: %s: %w", in.Path, err)
	}
	return pkgs, nil
}

func parseDeps(data []byte) ([]inventory.Package, error) {
	var f depsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var out []inventory.Package
	for key, lib := range f.Libraries {
		name, version, ok := strings.Cut(key, "/")
		if !ok || name == "" || version == "" {
			continue
		}
		switch lib.Type {
		case "package":
		case "runtimepack":
			name = strings.TrimPrefix(name, "runtimepack.")
		default:
			continue
		}
		out = append(out, newPackage(name, version))
	}
	sortPackages(out)
	return out, nil
}

type lockFile struct {
	Version      int                                  `json:"version"`
	Dependencies map[string]map[string]lockDependency `json:"dependencies"`
}

type lockDependency struct {
	Type     string `json:"type"`
	Resolved string `json:"resolved"`
}

// Extract reports every resolved dependency (types Direct, Transitive and
// CentralTransitive) once, whatever the number of target frameworks that
// list it; Project entries, other projects of the solution, are left out.
func (*LockExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := readAll(ctx, in)
	if err != nil {
		return nil, err
	}
	pkgs, err := parseLock(data)
	if err != nil {
		return nil, fmt.Errorf("dotnet/packageslock: %s: %w", in.Path, err)
	}
	return pkgs, nil
}

func parseLock(data []byte) ([]inventory.Package, error) {
	var f lockFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if f.Version < 1 || f.Version > 2 {
		return nil, fmt.Errorf("unsupported lock file version %d", f.Version)
	}
	seen := map[string]bool{}
	var out []inventory.Package
	for _, deps := range f.Dependencies {
		for name, d := range deps {
			if d.Type == "Project" || name == "" || d.Resolved == "" {
				continue
			}
			k := strings.ToLower(name) + "/" + d.Resolved
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, newPackage(name, d.Resolved))
		}
	}
	sortPackages(out)
	return out, nil
}

func readAll(ctx context.Context, in *extract.Input) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Size > maxFileSize {
		return nil, fmt.Errorf("dotnet: %s: over the %d-byte limit", in.Path, maxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, maxFileSize))
	if err != nil {
		return nil, fmt.Errorf("dotnet: read %s: %w", in.Path, err)
	}
	return data, nil
}

func sortPackages(p []inventory.Package) {
	slices.SortFunc(p, func(a, b inventory.Package) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version))
	})
}

// newPackage builds a NuGet package. NuGet ids are case-insensitive; the
// name and the PURL keep the case written, as the PURL spec's nuget type
// does.
func newPackage(name, version string) inventory.Package {
	return inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.NuGet,
		PURL:      inventory.PURL(inventory.NuGet, "", name, version, nil),
	}
}
