package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Bounds for the dependency section: cargo-auditable writes a few KiB of
// compressed JSON even for large programs.
const (
	maxSectionSize = 4 << 20
	maxJSONSize    = 16 << 20
	minBinarySize  = 1 << 10
	maxBinarySize  = 1 << 30
)

// ErrTooLarge: the dependency section or its decompressed JSON is over
// its bound.
var ErrTooLarge = errors.New("dependency data too large")

// AuditableExtractor reads the dependency list cargo-auditable embeds in
// Rust executables: a ".dep-v0" section (ELF, PE; "__dep_v0" in Mach-O)
// holding zlib-compressed JSON.
type AuditableExtractor struct{}

var _ extract.Extractor = (*AuditableExtractor)(nil)

// NewAuditableExtractor returns the rust/auditable extractor.
func NewAuditableExtractor() *AuditableExtractor { return &AuditableExtractor{} }

// Name implements extract.Extractor.
func (*AuditableExtractor) Name() string { return "rust/auditable" }

// Version implements extract.Extractor.
func (*AuditableExtractor) Version() int { return 1 }

// Match claims executable regular files of a plausible size.
func (*AuditableExtractor) Match(_ string, info fs.FileInfo) bool {
	if info == nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
		return false
	}
	return info.Size() >= minBinarySize && info.Size() <= maxBinarySize
}

type auditInfo struct {
	Packages []auditPackage `json:"packages"`
}

type auditPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"`
	Kind    string `json:"kind"`
	Root    bool   `json:"root"`
}

// Extract reports the crates recorded in the binary, leaving out those
// whose source is "local" (the workspace's own crates, as rust/cargolock
// does). An executable without the section yields nothing and no error.
func (*AuditableExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sec, err := depSection(in.Reader)
	if err != nil {
		return nil, fmt.Errorf("rust/auditable: %s: %w", in.Path, err)
	}
	if sec == nil {
		return nil, nil
	}
	pkgs, err := parseDeps(sec)
	if err != nil {
		return nil, fmt.Errorf("rust/auditable: %s: %w", in.Path, err)
	}
	return pkgs, nil
}

// depSection returns the compressed dependency section, or nil when r is
// not an executable or has none.
func depSection(r io.ReaderAt) (io.Reader, error) {
	var head [4]byte
	if n, _ := r.ReadAt(head[:], 0); n < 4 {
		return nil, nil
	}
	switch {
	case string(head[:]) == "\x7fELF":
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, nil // not an ELF file we can read: not ours to judge
		}
		s := f.Section(".dep-v0")
		if s == nil {
			return nil, nil
		}
		if s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		if s.Size > maxSectionSize {
			return nil, fmt.Errorf("section .dep-v0 of %d bytes: %w", s.Size, ErrTooLarge)
		}
		return s.Open(), nil
	case string(head[:2]) == "MZ":
		f, err := pe.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(".dep-v0")
		if s == nil {
			return nil, nil
		}
		if s.Size > maxSectionSize {
			return nil, fmt.Errorf("section .dep-v0 of %d bytes: %w", s.Size, ErrTooLarge)
		}
		return s.Open(), nil
	case string(head[:]) == "\xca\xfe\xba\xbe":
		ff, err := macho.NewFatFile(r)
		if err != nil || len(ff.Arches) == 0 {
			return nil, nil
		}
		return machoSection(ff.Arches[0].File)
	case isMachO(head[:]):
		f, err := macho.NewFile(r)
		if err != nil {
			return nil, nil
		}
		return machoSection(f)
	}
	return nil, nil
}

func isMachO(h []byte) bool {
	switch string(h) {
	case "\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", "\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe":
		return true
	}
	return false
}

func machoSection(f *macho.File) (io.Reader, error) {
	s := f.Section("__dep_v0")
	if s == nil {
		return nil, nil
	}
	if s.Size > maxSectionSize {
		return nil, fmt.Errorf("section __dep_v0 of %d bytes: %w", s.Size, ErrTooLarge)
	}
	return s.Open(), nil
}

// parseDeps inflates and decodes the section, reading at most maxJSONSize
// bytes of JSON.
func parseDeps(compressed io.Reader) ([]inventory.Package, error) {
	zr, err := zlib.NewReader(io.LimitReader(compressed, maxSectionSize))
	if err != nil {
		return nil, fmt.Errorf("inflate dependency section: %w", err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(zr, maxJSONSize+1))
	if err != nil {
		return nil, fmt.Errorf("inflate dependency section: %w", err)
	}
	if n > maxJSONSize {
		return nil, fmt.Errorf("inflated dependency section over %d bytes: %w", maxJSONSize, ErrTooLarge)
	}
	var info auditInfo
	if err := json.Unmarshal(buf.Bytes(), &info); err != nil {
		return nil, fmt.Errorf("decode dependency JSON: %w", err)
	}
	var out []inventory.Package
	for _, p := range info.Packages {
		if p.Source == "local" || p.Name == "" || p.Version == "" {
			continue
		}
		out = append(out, newPackage(p.Name, p.Version))
	}
	return out, nil
}
