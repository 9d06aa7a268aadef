// Package golang finds Go modules: those compiled into Go executables
// (go/binary, from the build information the linker embeds) and those
// required by go.mod files (go/mod).
package golang

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Size bounds for executables worth reading: below minBinarySize a file
// cannot hold a Go runtime; above maxBinarySize it is not a program.
const (
	minBinarySize = 1 << 10
	maxBinarySize = 1 << 30
)

// BinaryExtractor reads the module list the Go linker stamps into every
// executable built in module mode.
type BinaryExtractor struct{}

var _ extract.Extractor = (*BinaryExtractor)(nil)

// NewBinaryExtractor returns the go/binary extractor.
func NewBinaryExtractor() *BinaryExtractor { return &BinaryExtractor{} }

// Name implements extract.Extractor.
func (*BinaryExtractor) Name() string { return "go/binary" }

// Version implements extract.Extractor.
func (*BinaryExtractor) Version() int { return 1 }

// Match claims executable regular files of a plausible size.
func (*BinaryExtractor) Match(_ string, info fs.FileInfo) bool {
	return IsExecutable(info)
}

// IsExecutable reports whether info is a regular file with an execute bit
// and a size a program can have.
func IsExecutable(info fs.FileInfo) bool {
	if info == nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
		return false
	}
	return info.Size() >= minBinarySize && info.Size() <= maxBinarySize
}

// HasBinaryMagic reports whether head (the first bytes of a file) starts
// like an ELF, PE or Mach-O executable.
func HasBinaryMagic(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	switch string(head[:4]) {
	case "\x7fELF",
		"\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", // Mach-O 32-bit
		"\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe", // Mach-O 64-bit
		"\xca\xfe\xba\xbe": // Mach-O universal
		return true
	}
	return string(head[:2]) == "MZ"
}

// Extract reports the main module, every dependency (as replaced) and the
// Go toolchain as the package "stdlib". A file that is not a Go executable
// yields nothing and no error.
func (e *BinaryExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	head := make([]byte, 4)
	if n, _ := in.Reader.ReadAt(head, 0); !HasBinaryMagic(head[:n]) {
		return nil, nil
	}
	bi, err := buildinfo.Read(in.Reader)
	if err != nil {
		// The standard library's sentinels are unexported; these two mean
		// "some other kind of file", which is not an error for us.
		msg := err.Error()
		if strings.Contains(msg, "not a Go executable") || strings.Contains(msg, "unrecognized file format") {
			return nil, nil
		}
		return nil, fmt.Errorf("go/binary: read build info of %s: %w", in.Path, err)
	}
	return fromBuildInfo(bi), nil
}

func fromBuildInfo(bi *buildinfo.BuildInfo) []inventory.Package {
	var out []inventory.Package
	if v, ok := toolchainVersion(bi.GoVersion); ok {
		out = append(out, newPackage("stdlib", v))
	}
	if m := bi.Main; m.Path != "" && m.Path != "command-line-arguments" {
		out = append(out, newPackage(m.Path, moduleVersion(m.Version)))
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path == "" {
			continue
		}
		p, v := d.Path, d.Version
		if r := d.Replace; r != nil {
			if r.Version == "" {
				// A local directory: the code is not the published module
				// at any version, so the version is unknown.
				v = ""
			} else {
				p, v = r.Path, r.Version
			}
		}
		out = append(out, newPackage(p, moduleVersion(v)))
	}
	return out
}

// moduleVersion maps "(devel)", the main module's version when it was
// built outside version control or a module proxy, to "unknown".
func moduleVersion(v string) string {
	if v == "(devel)" {
		return ""
	}
	return v
}

// toolchainVersion turns "go1.22.3" (possibly followed by experiment
// tags such as " X:boringcrypto") into "1.22.3", the name the Go
// vulnerability database gives the standard library's versions. Development
// toolchains ("devel go1.23-abc") have no release version.
func toolchainVersion(gv string) (string, bool) {
	gv, _, _ = strings.Cut(strings.TrimSpace(gv), " ")
	v, ok := strings.CutPrefix(gv, "go")
	if !ok || v == "" || v[0] < '0' || v[0] > '9' {
		return "", false
	}
	return v, true
}

// newPackage builds a Go package with its PURL: the module path's last
// element is the PURL name, the rest its namespace.
func newPackage(modPath, version string) inventory.Package {
	ns, name := path.Split(modPath)
	return inventory.Package{
		Name:      modPath,
		Version:   version,
		Ecosystem: inventory.Golang,
		PURL:      inventory.PURL(inventory.Golang, strings.TrimSuffix(ns, "/"), name, version, nil),
	}
}
