// Package java finds Maven artifacts: those packed in Java archives (jar,
// war, ear and their kin, nested ones included) through java/archive, and
// those Debian installs as poms in its Maven repository through java/pom.
package java

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Limits on one archive, nested archives included.
const (
	maxDepth        = 3         // levels of nesting below the archive handed to us
	maxEntries      = 200_000   // members of all archives together
	maxMetaSize     = 1 << 20   // one manifest or pom.properties
	maxNestedSize   = 256 << 20 // one nested archive, read into memory
	maxTotalRead    = 1 << 30   // uncompressed bytes read from all members
	maxRatio        = 200       // uncompressed / compressed, above ratioFloor
	ratioFloor      = 1 << 20
	maxArchiveBytes = 4 << 30
)

// ErrHostile: the archive exceeds a bound (entries, sizes, nesting,
// compression ratio).
var ErrHostile = errors.New("hostile archive")

// archiveExts are the suffixes of Java archives.
var archiveExts = []string{".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar", ".kar"}

// ArchiveExtractor reads Maven coordinates from Java archives.
type ArchiveExtractor struct{}

var _ extract.Extractor = (*ArchiveExtractor)(nil)

// NewArchiveExtractor returns the java/archive extractor.
func NewArchiveExtractor() *ArchiveExtractor { return &ArchiveExtractor{} }

// Name implements extract.Extractor.
func (*ArchiveExtractor) Name() string { return "java/archive" }

// Version implements extract.Extractor.
func (*ArchiveExtractor) Version() int { return 1 }

// Match claims files with a Java archive suffix (any case).
func (*ArchiveExtractor) Match(p string, info fs.FileInfo) bool {
	return isArchiveName(p) && (info == nil || info.Size() <= maxArchiveBytes)
}

func isArchiveName(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	for _, e := range archiveExts {
		if ext == e {
			return true
		}
	}
	return false
}

// budget is shared by an archive and everything nested in it.
type budget struct {
	entries int
	read    int64
}

// Extract reports, for the archive and each archive nested in it: one
// package per META-INF/maven/**/pom.properties; the archive's own identity
// from its manifest when no pom.properties names it; and, last, its file
// name ("name-1.2.3.jar"). A damaged nested archive is an error returned
// with what was found elsewhere.
func (*ArchiveExtractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	b := &budget{}
	return walkArchive(ctx, in.Reader, in.Size, path.Base(in.Path), "", 0, b)
}

func walkArchive(ctx context.Context, r io.ReaderAt, size int64, fileName, inner string, depth int, b *budget) ([]inventory.Package, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	where := fileName
	if inner != "" {
		where = inner
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("java/archive: open %s: %w", where, err)
	}
	b.entries += len(zr.File)
	if b.entries > maxEntries {
		return nil, fmt.Errorf("java/archive: %s: more than %d members: %w", where, maxEntries, ErrHostile)
	}

	var (
		props    []map[string]string
		manifest map[string]string
		nested   []*zip.File
		errs     []error
	)
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasPrefix(name, "META-INF/maven/") && path.Base(name) == "pom.properties":
			data, err := readMember(f, maxMetaSize, b)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			props = append(props, parseProperties(data))
		case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
			data, err := readMember(f, maxMetaSize, b)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				continue
			}
			manifest = parseManifest(data)
		case !strings.HasSuffix(name, "/") && isArchiveName(name):
			nested = append(nested, f)
		}
	}

	out := identify(fileName, props, manifest)
	for i := range out {
		out[i].Locations = []inventory.Location{{Inner: inner}}
	}
	for _, f := range nested {
		if depth+1 > maxDepth {
			errs = append(errs, fmt.Errorf("%s: nested deeper than %d levels: %w", f.Name, maxDepth, ErrHostile))
			continue
		}
		data, err := readMember(f, maxNestedSize, b)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		in := f.Name
		if inner != "" {
			in = inner + "!" + f.Name
		}
		pkgs, err := walkArchive(ctx, bytes.NewReader(data), int64(len(data)), path.Base(f.Name), in, depth+1, b)
		out = append(out, pkgs...)
		if err != nil {
			if ctx.Err() != nil {
				return out, err
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("java/archive: %s: %w", where, errors.Join(errs...))
	}
	return out, nil
}

// readMember reads one member within the per-member limit, the ratio bound
// and the archive's total budget.
func readMember(f *zip.File, limit int64, b *budget) ([]byte, error) {
	usize, csize := f.UncompressedSize64, f.CompressedSize64
	if usize > uint64(limit) {
		return nil, fmt.Errorf("%d bytes, over the %d-byte limit: %w", usize, limit, ErrHostile)
	}
	if usize > ratioFloor && usize/max(csize, 1) > maxRatio {
		return nil, fmt.Errorf("compression ratio over %d:1: %w", maxRatio, ErrHostile)
	}
	if b.read+int64(usize) > maxTotalRead {
		return nil, fmt.Errorf("more than %d bytes read from the archive: %w", int64(maxTotalRead), ErrHostile)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// archive/zip fails a member that inflates past its declared size, so
	// the limit holds even when the header lies.
	data, err := io.ReadAll(io.LimitReader(rc, int64(usize)+1))
	b.read += int64(len(data))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// identify turns what one archive says about itself into packages. Any
// pom.properties is authoritative: the manifest and the file name are
// used only for an archive that has none. The archive's own package (the
// pom.properties whose artifactId is the file's, or the only one) gets the
// manifest's Bundle-License.
func identify(fileName string, props []map[string]string, mf map[string]string) []inventory.Package {
	fileArtifact, fileVersion := splitFileName(fileName)
	var out []inventory.Package
	own := -1 // index in out of the archive's own package
	for _, p := range props {
		g, a, v := p["groupId"], p["artifactId"], p["version"]
		if g == "" || a == "" || v == "" {
			continue
		}
		if a == fileArtifact || len(props) == 1 {
			own = len(out)
		}
		out = append(out, newPackage(g, a, v))
	}
	if len(out) == 0 {
		if pkg, ok := fromManifest(mf, fileArtifact); ok {
			own = len(out)
			out = append(out, pkg)
		} else if fileArtifact != "" && fileVersion != "" {
			own = len(out)
			out = append(out, newPackage("", fileArtifact, fileVersion))
		}
	}
	if own >= 0 {
		out[own].Licenses = manifestLicenses(mf)
	}
	return out
}

// fromManifest names the archive from its manifest: the version from
// Implementation-Version, Bundle-Version or Specification-Version; the
// artifact from the file name, else Implementation-Title, else the bundle
// name; the group from Implementation-Vendor-Id, else the
// Bundle-SymbolicName when it ends with ".<artifact>".
func fromManifest(mf map[string]string, fileArtifact string) (inventory.Package, bool) {
	if len(mf) == 0 {
		return inventory.Package{}, false
	}
	version := firstOf(mf, "Implementation-Version", "Bundle-Version", "Specification-Version")
	artifact := fileArtifact
	if artifact == "" {
		artifact = firstOf(mf, "Implementation-Title", "Bundle-Name", "Specification-Title")
	}
	if version == "" || artifact == "" || strings.ContainsAny(artifact, " /") {
		return inventory.Package{}, false
	}
	group := mf["Implementation-Vendor-Id"]
	if group == "" {
		bsn, _, _ := strings.Cut(mf["Bundle-SymbolicName"], ";")
		bsn = strings.TrimSpace(bsn)
		if g, ok := strings.CutSuffix(bsn, "."+artifact); ok && g != "" {
			group = g
		}
	}
	return newPackage(group, artifact, version), true
}

// manifestLicenses splits Bundle-License ("Apache-2.0;link=...,MIT").
func manifestLicenses(mf map[string]string) []string {
	v := mf["Bundle-License"]
	if v == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		name, _, _ := strings.Cut(part, ";")
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(m[k]); v != "" {
			return v
		}
	}
	return ""
}

// splitFileName splits "spring-core-6.1.2.jar" into ("spring-core",
// "6.1.2"): the version starts at the first "-" followed by a digit. A
// name without one gives the whole stem and no version.
func splitFileName(name string) (artifact, version string) {
	stem := strings.TrimSuffix(name, path.Ext(name))
	for i := 0; i+1 < len(stem); i++ {
		if stem[i] == '-' && stem[i+1] >= '0' && stem[i+1] <= '9' {
			return stem[:i], stem[i+1:]
		}
	}
	return stem, ""
}

// newPackage builds a Maven package; Name is "group:artifact", or the
// artifact alone when the group is unknown.
func newPackage(group, artifact, version string) inventory.Package {
	name := artifact
	if group != "" {
		name = group + ":" + artifact
	}
	return inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.Maven,
		PURL:      inventory.PURL(inventory.Maven, group, artifact, version, nil),
	}
}
