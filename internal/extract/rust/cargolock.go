// Package rust finds Rust crates: those pinned by Cargo.lock files
// (rust/cargolock) and those recorded in binaries built with
// cargo-auditable (rust/auditable).
package rust

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// maxLockSize bounds a Cargo.lock; the largest real ones are a few MiB.
const maxLockSize = 32 << 20

// LockExtractor reads Cargo.lock files, versions 1 to 4.
type LockExtractor struct{}

var _ extract.Extractor = (*LockExtractor)(nil)

// NewLockExtractor returns the rust/cargolock extractor.
func NewLockExtractor() *LockExtractor { return &LockExtractor{} }

// Name implements extract.Extractor.
func (*LockExtractor) Name() string { return "rust/cargolock" }

// Version implements extract.Extractor.
func (*LockExtractor) Version() int { return 1 }

// Match claims files named Cargo.lock.
func (*LockExtractor) Match(p string, info fs.FileInfo) bool {
	return path.Base(p) == "Cargo.lock" && (info == nil || info.Size() <= maxLockSize)
}

type lockFile struct {
	Version int           `toml:"version"`
	Package []lockPackage `toml:"package"`
}

type lockPackage struct {
	Name    string `toml:"name"`
	Version string `toml:"version"`
	Source  string `toml:"source"`
}

// Extract reports every locked package that comes from a registry or a
// git repository. Packages without a source are the workspace's own crates
// (path dependencies and members): they have no published version to
// match advisories against and are left out, as is the "[root]" table of
// the oldest lock files.
func (*LockExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Size > maxLockSize {
		return nil, fmt.Errorf("rust/cargolock: %s: %d bytes is over the %d-byte limit", in.Path, in.Size, maxLockSize)
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, maxLockSize+1))
	if err != nil {
		return nil, fmt.Errorf("rust/cargolock: read %s: %w", in.Path, err)
	}
	return parseLock(data)
}

func parseLock(data []byte) ([]inventory.Package, error) {
	var lf lockFile
	if _, err := toml.Decode(string(data), &lf); err != nil {
		return nil, fmt.Errorf("rust/cargolock: parse: %w", err)
	}
	lines := packageLines(data)
	var out []inventory.Package
	for i, p := range lf.Package {
		if p.Source == "" || p.Name == "" || p.Version == "" {
			continue
		}
		pkg := newPackage(p.Name, p.Version)
		if i < len(lines) {
			pkg.Locations = []inventory.Location{{Line: lines[i]}}
		}
		out = append(out, pkg)
	}
	return out, nil
}

// packageLines returns the 1-based line of each "[[package]]" header, in
// order: the TOML decoder keeps the array's order but not its positions.
func packageLines(data []byte) []int {
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLockSize)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "[[package]]" {
			lines = append(lines, n)
		}
	}
	return lines
}

func newPackage(name, version string) inventory.Package {
	return inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.Cargo,
		PURL:      inventory.PURL(inventory.Cargo, "", name, version, nil),
	}
}
