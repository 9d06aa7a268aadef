// Package spdx writes a scan as an SPDX 2.3 JSON document
// (https://spdx.github.io/spdx-spec/v2.3/), with its own structs, and
// decides whether licence strings are SPDX license ids or expressions
// (LicenseID, Expression) for this and the other SBOM formats.
//
// The output is deterministic: the document namespace and every SPDXID
// are content hashes, and the creation time is the caller's.
package spdx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/sbom"
)

// Version is the SPDX version written.
const Version = "SPDX-2.3"

// NamespacePrefix starts every document namespace pave writes.
const NamespacePrefix = "https://pave.dev/spdx/"

// NoAssertion is SPDX's "the tool does not say".
const NoAssertion = "NOASSERTION"

// ErrNoCreated is returned when Options.Created is zero: SPDX requires a
// creation time and pave never invents one.
var ErrNoCreated = errors.New("spdx: creation time not set")

// Options tune the document.
type Options struct {
	// Created is the document's creation time (required). The CLI passes
	// SOURCE_DATE_EPOCH when set, else the current time.
	Created time.Time
}

// Document is an SPDX 2.3 document, as far as pave fills it.
type Document struct {
	SPDXVersion                string                   `json:"spdxVersion"`
	DataLicense                string                   `json:"dataLicense"`
	SPDXID                     string                   `json:"SPDXID"`
	Name                       string                   `json:"name"`
	DocumentNamespace          string                   `json:"documentNamespace"`
	CreationInfo               CreationInfo             `json:"creationInfo"`
	Packages                   []Package                `json:"packages,omitempty"`
	HasExtractedLicensingInfos []ExtractedLicensingInfo `json:"hasExtractedLicensingInfos,omitempty"`
	Relationships              []Relationship           `json:"relationships,omitempty"`
}

// CreationInfo says who made the document and when.
type CreationInfo struct {
	Creators []string `json:"creators"`
	Created  string   `json:"created"`
}

// Package is an SPDX package.
type Package struct {
	SPDXID                string        `json:"SPDXID"`
	Name                  string        `json:"name"`
	VersionInfo           string        `json:"versionInfo,omitempty"`
	DownloadLocation      string        `json:"downloadLocation"`
	FilesAnalyzed         bool          `json:"filesAnalyzed"`
	LicenseConcluded      string        `json:"licenseConcluded,omitempty"`
	LicenseDeclared       string        `json:"licenseDeclared,omitempty"`
	SourceInfo            string        `json:"sourceInfo,omitempty"`
	Description           string        `json:"description,omitempty"`
	Comment               string        `json:"comment,omitempty"`
	ExternalRefs          []ExternalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string        `json:"primaryPackagePurpose,omitempty"`
}

// ExternalRef points outside the document, here at a package URL.
type ExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

// ExtractedLicensingInfo defines a LicenseRef used in the document.
type ExtractedLicensingInfo struct {
	LicenseID     string `json:"licenseId"`
	ExtractedText string `json:"extractedText"`
	Name          string `json:"name,omitempty"`
	Comment       string `json:"comment,omitempty"`
}

// Relationship links two elements.
type Relationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

// Fixed element ids.
const (
	DocumentID = "SPDXRef-DOCUMENT"
	TargetID   = "SPDXRef-Target"
	DistroID   = "SPDXRef-OperatingSystem"
)

// Sink writes the SPDX document when the scan ends.
type Sink struct {
	report.Collector
	w    io.Writer
	opts Options
}

var _ report.Sink = (*Sink)(nil)

// New returns a sink writing to w.
func New(w io.Writer, opts Options) *Sink { return &Sink{w: w, opts: opts} }

// End implements report.Sink.
func (s *Sink) End(ctx context.Context, sum *report.Summary) error {
	if err := s.Collector.End(ctx, sum); err != nil {
		return err
	}
	return Write(ctx, s.w, &s.Collector.Scan, s.opts)
}

// Write writes scan as an indented SPDX JSON document.
func Write(ctx context.Context, w io.Writer, scan *report.Scan, opts Options) error {
	doc, err := Build(ctx, scan, opts)
	if err != nil {
		return err
	}
	b, err := marshal(doc)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("spdx: write: %w", err)
	}
	return nil
}

func marshal(doc *Document) ([]byte, error) { return sbom.MarshalJSON("spdx", doc) }

// Build maps scan to an SPDX document.
func Build(ctx context.Context, scan *report.Scan, opts Options) (*Document, error) {
	if opts.Created.IsZero() {
		return nil, ErrNoCreated
	}
	tool := cmpOr(scan.Tool.Name, "pave") + "-" + cmpOr(scan.Tool.Version, "unknown")
	doc := &Document{
		SPDXVersion: Version,
		DataLicense: "CC0-1.0",
		SPDXID:      DocumentID,
		Name:        cmpOr(scan.Target.Name, "unnamed"),
		CreationInfo: CreationInfo{
			Creators: []string{"Tool: " + tool},
			Created:  opts.Created.UTC().Format(time.RFC3339),
		},
	}
	doc.Packages = append(doc.Packages, targetPackage(scan))
	doc.Relationships = append(doc.Relationships, Relationship{DocumentID, "DESCRIBES", TargetID})
	if d := scan.Distro; d != nil {
		doc.Packages = append(doc.Packages, distroPackage(d))
		doc.Relationships = append(doc.Relationships, Relationship{TargetID, "CONTAINS", DistroID})
	}
	lic := newLicenses()
	used := make(map[string]int, len(scan.Packages))
	for i := range scan.Packages {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		p := &scan.Packages[i]
		sp := Package{
			SPDXID:                uniqueID(used, packageID(p)),
			Name:                  p.Name,
			VersionInfo:           p.Version,
			DownloadLocation:      NoAssertion,
			LicenseConcluded:      NoAssertion,
			LicenseDeclared:       lic.declared(p.Licenses),
			SourceInfo:            sourceInfo(p),
			Comment:               comment(p),
			PrimaryPackagePurpose: purpose(p),
		}
		if p.PURL != "" {
			sp.ExternalRefs = []ExternalRef{{"PACKAGE-MANAGER", "purl", p.PURL}}
		}
		doc.Packages = append(doc.Packages, sp)
		doc.Relationships = append(doc.Relationships, Relationship{TargetID, "CONTAINS", sp.SPDXID})
	}
	doc.HasExtractedLicensingInfos = lic.extracted()

	// The namespace is a hash of everything else, creation time included.
	b, err := marshal(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	doc.DocumentNamespace = NamespacePrefix + trimID(IDString(doc.Name), 64) + "-" + hex.EncodeToString(sum[:16])
	return doc, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// isImage reports whether a report target kind is a container image.
func isImage(kind string) bool { return kind != "dir" && kind != "rootfs" && kind != "" }

func targetPackage(scan *report.Scan) Package {
	t := scan.Target
	p := Package{
		SPDXID:           TargetID,
		Name:             cmpOr(t.Name, "unnamed"),
		VersionInfo:      t.Digest,
		DownloadLocation: NoAssertion,
		LicenseConcluded: NoAssertion,
		LicenseDeclared:  NoAssertion,
	}
	var notes []string
	if t.Kind != "" {
		notes = append(notes, "kind "+t.Kind)
	}
	if t.ImageID != "" {
		notes = append(notes, "image ID "+t.ImageID)
	}
	if t.Platform != "" {
		notes = append(notes, "platform "+t.Platform)
	}
	if len(t.RepoTags) > 0 {
		notes = append(notes, "tags "+strings.Join(t.RepoTags, ", "))
	}
	p.Comment = strings.Join(notes, "; ")
	switch {
	case isImage(t.Kind):
		p.PrimaryPackagePurpose = "CONTAINER"
	case t.Kind == "dir":
		p.PrimaryPackagePurpose = "SOURCE"
	default:
		p.PrimaryPackagePurpose = "OTHER"
	}
	return p
}

func distroPackage(d *inventory.Distro) Package {
	p := Package{
		SPDXID:                DistroID,
		Name:                  d.ID,
		VersionInfo:           d.VersionID,
		DownloadLocation:      NoAssertion,
		LicenseConcluded:      NoAssertion,
		LicenseDeclared:       NoAssertion,
		Description:           d.PrettyName,
		PrimaryPackagePurpose: "OPERATING_SYSTEM",
	}
	if d.EOL != "" {
		if d.EndOfLife {
			p.Comment = "end of life since " + d.EOL
		} else {
			p.Comment = "supported until " + d.EOL
		}
	}
	if d.Source != "" {
		p.SourceInfo = "read from " + d.Source
	}
	return p
}

// packageID is "SPDXRef-Package-<ecosystem>-<name>-<hash>", where the hash
// is over the package key (its PURL) so that the same package keeps its
// id across scans.
func packageID(p *inventory.Package) string {
	sum := sha256.Sum256([]byte(p.Key()))
	id := "SPDXRef-Package-" + trimID(IDString(string(p.Ecosystem)), 16)
	if n := trimID(IDString(p.Name), 64); n != "" {
		id += "-" + n
	}
	return id + "-" + hex.EncodeToString(sum[:8])
}

func trimID(s string, n int) string {
	if len(s) > n {
		s = strings.TrimRight(s[:n], "-")
	}
	return s
}

// uniqueID returns id, or id with "-2", "-3"… when already used.
func uniqueID(used map[string]int, id string) string {
	n := used[id]
	used[id] = n + 1
	if n == 0 {
		return id
	}
	for {
		n++
		alt := id + "-" + strconv.Itoa(n)
		if used[alt] == 0 {
			used[alt] = 1
			return alt
		}
	}
}

// maxSourceLocations bounds sourceInfo for packages found in many places.
const maxSourceLocations = 8

func sourceInfo(p *inventory.Package) string {
	if len(p.Locations) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("found by ")
	b.WriteString(cmpOr(p.Extractor, "pave"))
	b.WriteString(" at ")
	for i, l := range p.Locations {
		if i == maxSourceLocations {
			fmt.Fprintf(&b, "; and %d more", len(p.Locations)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(Location(l))
	}
	return b.String()
}

// Location renders a location as "path[!inner][:line][ in layer #N
// sha256:abcdef012345]", the form the SBOM formats share.
func Location(l inventory.Location) string {
	var b strings.Builder
	b.WriteString(l.Path)
	if l.Inner != "" {
		b.WriteByte('!')
		b.WriteString(l.Inner)
	}
	if l.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(l.Line))
	}
	if l.Layer != nil {
		fmt.Fprintf(&b, " in layer #%d", l.Layer.Index)
		if d := cmpOr(l.Layer.Digest, l.Layer.DiffID); d != "" {
			b.WriteByte(' ')
			b.WriteString(ShortDigest(d))
		}
	}
	return b.String()
}

// ShortDigest keeps the algorithm and 12 hex digits: "sha256:3f4a5b6c7d8e".
func ShortDigest(d string) string {
	alg, hexPart, ok := strings.Cut(d, ":")
	if !ok {
		alg, hexPart = "", d
	}
	if len(hexPart) > 12 {
		hexPart = hexPart[:12]
	}
	if alg == "" {
		return hexPart
	}
	return alg + ":" + hexPart
}

func comment(p *inventory.Package) string {
	var notes []string
	if p.Source != nil && p.Source.Name != "" {
		s := "source package " + p.Source.Name
		if p.Source.Version != "" {
			s += " " + p.Source.Version
		}
		notes = append(notes, s)
	}
	if p.OwnedBy != "" {
		notes = append(notes, "installed by "+p.OwnedBy)
	}
	if p.Dev {
		notes = append(notes, "development dependency")
	}
	return strings.Join(notes, "; ")
}

// purpose: language packages are libraries; OS packages are libraries
// when Debian/Alpine/RPM naming says so ("lib…"), else applications.
func purpose(p *inventory.Package) string {
	if p.Ecosystem.IsOS() && !strings.HasPrefix(p.Name, "lib") {
		return "APPLICATION"
	}
	return "LIBRARY"
}
