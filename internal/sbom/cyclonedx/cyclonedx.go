// Package cyclonedx writes a scan as a CycloneDX 1.6 JSON BOM
// (https://cyclonedx.org/docs/1.6/json/) with its own structs, matching the
// published schema: no empty arrays, no nulls.
//
// Vulnerability findings become "vulnerabilities" (one per vulnerability
// and affected component, with ratings, references, advisories and, for
// suppressed findings, the VEX analysis), so that a scan's BOM is also a
// vulnerability disclosure report. A scan without them writes the same
// bytes as before.
//
// The output is deterministic: the serial number is a name-based UUID of
// the BOM's content, and a timestamp is written only when the caller
// gives one. The mapping from pave's fields is in docs/formats.md.
package cyclonedx

import (
	"context"
	"crypto/sha1" //nolint:gosec // RFC 4122 version 5 UUIDs are defined with SHA-1
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/sbom"
	"github.com/pavesec/pave/internal/sbom/spdx"
)

// SpecVersion is the CycloneDX version written.
const SpecVersion = "1.6"

// SchemaURL is the schema the BOM declares in "$schema".
const SchemaURL = "http://cyclonedx.org/schema/bom-1.6.schema.json"

// Options tune the BOM.
type Options struct {
	// Timestamp is written as metadata.timestamp when not zero. Leave it
	// zero for reproducible output.
	Timestamp time.Time
}

// BOM is a CycloneDX document, as far as pave fills it.
type BOM struct {
	Schema       string      `json:"$schema"`
	BOMFormat    string      `json:"bomFormat"`
	SpecVersion  string      `json:"specVersion"`
	SerialNumber string      `json:"serialNumber,omitempty"`
	Version      int         `json:"version"`
	Metadata     *Metadata   `json:"metadata,omitempty"`
	Components   []Component `json:"components,omitempty"`
	// Vulnerabilities are the findings of kind vulnerability, each
	// affecting the component of the finding's package: with them the
	// BOM is also a VDR, and with the analysis of suppressed findings a
	// VEX. Left out when there are none, so an SBOM stays as it was.
	Vulnerabilities []Vulnerability `json:"vulnerabilities,omitempty"`
}

// Metadata describes the BOM's subject and producer.
type Metadata struct {
	Timestamp  string     `json:"timestamp,omitempty"`
	Tools      *Tools     `json:"tools,omitempty"`
	Component  *Component `json:"component,omitempty"`
	Properties []Property `json:"properties,omitempty"`
}

// Tools lists the tools that made the BOM.
type Tools struct {
	Components []Component `json:"components,omitempty"`
}

// Component is a CycloneDX component.
type Component struct {
	BOMRef      string          `json:"bom-ref,omitempty"`
	Type        string          `json:"type"`
	Group       string          `json:"group,omitempty"`
	Name        string          `json:"name"`
	Version     string          `json:"version,omitempty"`
	Description string          `json:"description,omitempty"`
	Licenses    []LicenseChoice `json:"licenses,omitempty"`
	PURL        string          `json:"purl,omitempty"`
	Properties  []Property      `json:"properties,omitempty"`
	Evidence    *Evidence       `json:"evidence,omitempty"`
}

// LicenseChoice is one element of a licenses array: a license, or (alone
// in the array) an SPDX expression.
type LicenseChoice struct {
	License    *License `json:"license,omitempty"`
	Expression string   `json:"expression,omitempty"`
}

// License is an SPDX license id or a free-text name.
type License struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Property is a name/value pair; pave's names start with "pave:".
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// Evidence says where a component was seen.
type Evidence struct {
	Occurrences []Occurrence `json:"occurrences,omitempty"`
}

// Occurrence is one place a component was found.
type Occurrence struct {
	Location          string `json:"location"`
	Line              int    `json:"line,omitempty"`
	AdditionalContext string `json:"additionalContext,omitempty"`
}

// Sink writes the BOM when the scan ends.
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

// Write writes scan as an indented CycloneDX JSON BOM.
func Write(ctx context.Context, w io.Writer, scan *report.Scan, opts Options) error {
	bom, err := Build(ctx, scan, opts)
	if err != nil {
		return err
	}
	b, err := marshal(bom)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("cyclonedx: write: %w", err)
	}
	return nil
}

func marshal(bom *BOM) ([]byte, error) { return sbom.MarshalJSON("cyclonedx", bom) }

// builder holds what the mapping needs across components.
type builder struct {
	// used counts bom-refs handed out, to disambiguate duplicates.
	used map[string]int
	// refs maps a package key to its component's bom-ref, for findings
	// that name a package.
	refs map[string]string
}

// Build maps scan to a BOM.
func Build(ctx context.Context, scan *report.Scan, opts Options) (*BOM, error) {
	b := &builder{used: map[string]int{}, refs: make(map[string]string, len(scan.Packages))}
	bom := &BOM{
		Schema:      SchemaURL,
		BOMFormat:   "CycloneDX",
		SpecVersion: SpecVersion,
		Version:     1,
		Metadata:    b.metadata(scan, opts),
	}
	if d := scan.Distro; d != nil {
		bom.Components = append(bom.Components, b.distro(d))
	}
	for i := range scan.Packages {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		bom.Components = append(bom.Components, b.component(&scan.Packages[i]))
	}
	bom.Vulnerabilities = b.vulnerabilities(scan)
	// The serial number is a version 5 UUID of the BOM without it.
	content, err := marshal(bom)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	bom.SerialNumber = "urn:uuid:" + uuid5(urlNamespace, "https://pave.dev/cyclonedx/"+hex.EncodeToString(sum[:]))
	return bom, nil
}

// isImage reports whether a report target kind is a container image.
func isImage(kind string) bool { return kind != "dir" && kind != "rootfs" && kind != "" }

func (b *builder) metadata(scan *report.Scan, opts Options) *Metadata {
	m := &Metadata{
		Tools: &Tools{Components: []Component{{
			Type:    "application",
			Name:    cmpOr(scan.Tool.Name, "pave"),
			Version: scan.Tool.Version,
		}}},
	}
	if !opts.Timestamp.IsZero() {
		m.Timestamp = opts.Timestamp.UTC().Format(time.RFC3339)
	}
	t := scan.Target
	c := &Component{
		BOMRef: b.ref("pave:target"),
		Type:   "application",
		Name:   cmpOr(t.Name, "unnamed"),
	}
	if isImage(t.Kind) {
		c.Type = "container"
		c.Version = t.Digest
	}
	c.Properties = appendProp(c.Properties, "pave:target:kind", t.Kind)
	c.Properties = appendProp(c.Properties, "pave:image:id", t.ImageID)
	c.Properties = appendProp(c.Properties, "pave:image:platform", t.Platform)
	for _, tag := range t.RepoTags {
		c.Properties = appendProp(c.Properties, "pave:image:repoTag", tag)
	}
	m.Component = c
	m.Properties = appendProp(m.Properties, "pave:scan:status", scan.Summary.Status)
	if n := len(scan.Summary.Errors); n > 0 {
		m.Properties = appendProp(m.Properties, "pave:scan:fileErrors", strconv.Itoa(n))
	}
	m.Properties = databaseProperties(m.Properties, scan.Database)
	return m
}

func (b *builder) distro(d *inventory.Distro) Component {
	c := Component{
		BOMRef:      b.ref("pave:os:" + d.ID + "@" + d.VersionID),
		Type:        "operating-system",
		Name:        cmpOr(d.ID, "unknown"),
		Version:     d.VersionID,
		Description: d.PrettyName,
	}
	c.Properties = appendProp(c.Properties, "pave:distro:codename", d.VersionCodename)
	if d.EOL != "" {
		c.Properties = appendProp(c.Properties, "pave:distro:eol", d.EOL)
		c.Properties = appendProp(c.Properties, "pave:distro:endOfLife", strconv.FormatBool(d.EndOfLife))
	}
	c.Properties = appendProp(c.Properties, "pave:location", d.Source)
	return c
}

func (b *builder) component(p *inventory.Package) Component {
	key := p.Key()
	ref := p.PURL
	if ref == "" {
		ref = "pave:" + key
	}
	c := Component{
		BOMRef:   b.ref(ref),
		Type:     componentType(p),
		Name:     cmpOr(p.Name, "unnamed"),
		Version:  p.Version,
		PURL:     p.PURL,
		Licenses: licenses(p.Licenses),
	}
	if _, ok := b.refs[key]; !ok {
		b.refs[key] = c.BOMRef
	}
	c.Group, c.Name = groupName(p)
	if l := firstLayer(p.Locations); l != nil {
		c.Properties = appendProp(c.Properties, "pave:layer:index", strconv.Itoa(l.Index))
		c.Properties = appendProp(c.Properties, "pave:layer:digest", l.Digest)
		c.Properties = appendProp(c.Properties, "pave:layer:diffID", l.DiffID)
		c.Properties = appendProp(c.Properties, "pave:layer:createdBy", l.CreatedBy)
	}
	var occ []Occurrence
	for _, l := range p.Locations {
		loc := l.Path
		if l.Inner != "" {
			loc += "!" + l.Inner
		}
		c.Properties = appendProp(c.Properties, "pave:location", loc)
		o := Occurrence{Location: loc, Line: l.Line}
		if l.Layer != nil {
			o.AdditionalContext = "layer #" + strconv.Itoa(l.Layer.Index)
			if d := cmpOr(l.Layer.Digest, l.Layer.DiffID); d != "" {
				o.AdditionalContext += " " + d
			}
		}
		occ = append(occ, o)
	}
	c.Properties = appendProp(c.Properties, "pave:ownedBy", p.OwnedBy)
	if p.Source != nil {
		src := p.Source.Name
		if p.Source.Version != "" {
			src += "@" + p.Source.Version
		}
		c.Properties = appendProp(c.Properties, "pave:sourcePackage", src)
	}
	if p.Dev {
		c.Properties = appendProp(c.Properties, "pave:dev", "true")
	}
	c.Properties = appendProp(c.Properties, "pave:extractor", p.Extractor)
	if len(occ) > 0 {
		c.Evidence = &Evidence{Occurrences: occ}
	}
	return c
}

// ref returns want as a bom-ref, suffixed "#2", "#3"… when already used.
func (b *builder) ref(want string) string {
	n := b.used[want]
	b.used[want] = n + 1
	if n == 0 {
		return want
	}
	for {
		n++
		alt := want + "#" + strconv.Itoa(n)
		if b.used[alt] == 0 {
			b.used[alt] = 1
			return alt
		}
	}
}

// firstLayer is the layer of the first location that has one: the
// locations are sorted, and the first is where the package was first seen.
func firstLayer(locs []inventory.Location) *inventory.Layer {
	for _, l := range locs {
		if l.Layer != nil {
			return l.Layer
		}
	}
	return nil
}

// componentType: language packages are libraries; OS packages are
// libraries when named so ("lib…"), else applications.
func componentType(p *inventory.Package) string {
	if p.Ecosystem.IsOS() && !strings.HasPrefix(p.Name, "lib") {
		return "application"
	}
	return "library"
}

// groupName splits Maven "group:artifact" and npm "@scope/name" into a
// CycloneDX group and name; other names stay whole.
func groupName(p *inventory.Package) (group, name string) {
	switch p.Ecosystem {
	case inventory.Maven:
		if g, a, ok := strings.Cut(p.Name, ":"); ok && g != "" && a != "" {
			return g, a
		}
	case inventory.NPM:
		if strings.HasPrefix(p.Name, "@") {
			if g, n, ok := strings.Cut(p.Name, "/"); ok && n != "" {
				return g, n
			}
		}
	}
	return "", cmpOr(p.Name, "unnamed")
}

// licenses maps licence strings: an SPDX id becomes license.id, anything
// else license.name. A valid SPDX expression is written as the one
// "expression" element CycloneDX allows, joined with AND to the others
// when they are all SPDX too; otherwise expressions are kept as names.
func licenses(in []string) []LicenseChoice {
	type lic struct {
		kind  spdx.LicenseKind
		value string
	}
	var ls []lic
	seen := map[string]bool{}
	exprs := 0
	for _, s := range in {
		kind, v := spdx.Classify(s)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		ls = append(ls, lic{kind, v})
		if kind == spdx.LicenseExpression {
			exprs++
		}
	}
	if len(ls) == 0 {
		return nil
	}
	allSPDX := true
	for _, l := range ls {
		allSPDX = allSPDX && l.kind != spdx.LicenseName
	}
	if exprs > 0 && allSPDX {
		parts := make([]string, len(ls))
		for i, l := range ls {
			parts[i] = l.value
			if len(ls) > 1 && strings.Contains(l.value, " ") {
				parts[i] = "(" + l.value + ")"
			}
		}
		return []LicenseChoice{{Expression: strings.Join(parts, " AND ")}}
	}
	out := make([]LicenseChoice, len(ls))
	for i, l := range ls {
		if l.kind == spdx.LicenseIDKind {
			out[i].License = &License{ID: l.value}
		} else {
			out[i].License = &License{Name: l.value}
		}
	}
	return out
}

func appendProp(ps []Property, name, value string) []Property {
	if value == "" {
		return ps
	}
	return append(ps, Property{Name: name, Value: value})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// urlNamespace is the RFC 4122 name space for URLs,
// 6ba7b811-9dad-11d1-80b4-00c04fd430c8, as bytes.
const urlNamespace = "\x6b\xa7\xb8\x11\x9d\xad\x11\xd1\x80\xb4\x00\xc0\x4f\xd4\x30\xc8"

// uuid5 returns the RFC 4122 version 5 (SHA-1, name-based) UUID of name in
// namespace ns, in its canonical lower-case form.
func uuid5(ns, name string) string {
	h := sha1.New() //nolint:gosec // required by RFC 4122 §4.3
	h.Write([]byte(ns))
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(u[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
