// Package openvex writes a scan's vulnerability findings as an OpenVEX
// 0.2.0 document (https://github.com/openvex/spec): one statement per
// vulnerability and product, saying whether the product is affected and
// what to do about it.
//
// For an image the product is the image, named by an OCI package URL,
// and the affected package is its subcomponent, as the spec does for
// containers; for a directory or root filesystem each package is a
// product of its own. A finding nothing suppressed is "affected", with the
// fix as the action statement. A finding suppressed by a VEX statement,
// or by an exception whose reason is a VEX justification, becomes
// "not_affected" (or "fixed") with that justification; other exceptions
// and --ignore-unfixed keep "affected" and say so in the status notes.
//
// Assess holds that mapping; the other formats use it too, so that a
// finding reads the same in OpenVEX, CycloneDX and SARIF.
//
// The output is deterministic: statements are sorted, the document @id is
// a hash of the content, and the timestamp is the caller's.
package openvex

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// Context is the OpenVEX version written, as the document's @context.
const Context = "https://openvex.dev/ns/v0.2.0"

// IDPrefix starts every document @id; the sha256 of the document without
// its @id and timestamp follows.
const IDPrefix = "https://pave.dev/openvex/"

// DefaultAuthor is written when Options.Author is empty, as vexctl does:
// the spec wants a person or organisation, which pave cannot know.
const DefaultAuthor = "Unknown Author"

// ErrNoTimestamp is returned when Options.Timestamp is zero: OpenVEX
// requires the time a document was issued.
var ErrNoTimestamp = errors.New("openvex: timestamp not set")

// Options tune the document.
type Options struct {
	// Timestamp is when the document was issued (required). The CLI
	// passes SOURCE_DATE_EPOCH when set, else the current time.
	Timestamp time.Time
	// Author is the person or organisation making the statements.
	Author string
}

// Document is an OpenVEX document.
type Document struct {
	Context   string `json:"@context"`
	ID        string `json:"@id"`
	Author    string `json:"author"`
	Timestamp string `json:"timestamp"`
	Version   int    `json:"version"`
	Tooling   string `json:"tooling,omitempty"`
	// Statements is [] when the scan found no vulnerability; the schema
	// wants at least one statement, so such a document says only that
	// nothing was found.
	Statements []Statement `json:"statements"`
}

// Statement is what the author states about one vulnerability in some
// products.
type Statement struct {
	Vulnerability   Vulnerability `json:"vulnerability"`
	Products        []Product     `json:"products"`
	Status          string        `json:"status"`
	StatusNotes     string        `json:"status_notes,omitempty"`
	Justification   string        `json:"justification,omitempty"`
	ImpactStatement string        `json:"impact_statement,omitempty"`
	ActionStatement string        `json:"action_statement,omitempty"`
}

// Vulnerability names a vulnerability and its other ids.
type Vulnerability struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

// Product is what a statement is about, with the subcomponents it
// narrows to.
type Product struct {
	Component
	Subcomponents []Component `json:"subcomponents,omitempty"`
}

// Component is a product or a subcomponent, named by an IRI: its package
// URL.
type Component struct {
	ID          string            `json:"@id"`
	Identifiers *Identifiers      `json:"identifiers,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
}

// Identifiers are a component's software identifiers.
type Identifiers struct {
	PURL string `json:"purl,omitempty"`
}

// Sink writes the document when the scan ends.
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

// Write writes scan as an indented OpenVEX document.
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
		return fmt.Errorf("openvex: write: %w", err)
	}
	return nil
}

func marshal(doc *Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openvex: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Build maps scan's vulnerability findings to a document.
func Build(ctx context.Context, scan *report.Scan, opts Options) (*Document, error) {
	if opts.Timestamp.IsZero() {
		return nil, ErrNoTimestamp
	}
	image := imageProduct(scan)
	// Findings with the same vulnerability and the same assessment share
	// a statement: their packages are joined as subcomponents (images)
	// or products (directories).
	type key struct {
		vuln string
		a    Assessment
	}
	index := map[key]int{}
	var sts []Statement
	for i := range scan.Findings {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		f := &scan.Findings[i]
		if f.Rule.Kind != finding.Vulnerability {
			continue
		}
		a := Assess(f)
		k := key{vulnName(f), a}
		j, ok := index[k]
		if !ok {
			j = len(sts)
			index[k] = j
			sts = append(sts, statement(f, a))
			if image != nil {
				sts[j].Products = []Product{{Component: *image}}
			}
		}
		st := &sts[j]
		if p := f.Package; p != nil {
			c := component(p)
			if image != nil {
				st.Products[0].Subcomponents = append(st.Products[0].Subcomponents, c)
			} else {
				st.Products = append(st.Products, Product{Component: c})
			}
		} else if image == nil {
			st.Products = append(st.Products, Product{Component: targetComponent(scan)})
		}
		mergeVuln(&st.Vulnerability, f)
	}
	for i := range sts {
		st := &sts[i]
		for j := range st.Products {
			// A product also lists its package URL as an identifier; a
			// subcomponent's @id is enough.
			p := &st.Products[j]
			if p.Identifiers == nil {
				p.Identifiers = &Identifiers{PURL: p.ID}
			}
		}
		slices.SortFunc(st.Products, func(a, b Product) int { return strings.Compare(a.ID, b.ID) })
		st.Products = slices.CompactFunc(st.Products, func(a, b Product) bool { return a.ID == b.ID })
		for j := range st.Products {
			p := &st.Products[j]
			slices.SortFunc(p.Subcomponents, func(a, b Component) int { return strings.Compare(a.ID, b.ID) })
			p.Subcomponents = slices.CompactFunc(p.Subcomponents, func(a, b Component) bool { return a.ID == b.ID })
		}
		slices.Sort(st.Vulnerability.Aliases)
		st.Vulnerability.Aliases = slices.Compact(st.Vulnerability.Aliases)
	}
	slices.SortFunc(sts, compareStatements)

	doc := &Document{
		Context:    Context,
		Author:     cmp.Or(opts.Author, DefaultAuthor),
		Version:    1,
		Tooling:    tooling(scan),
		Statements: sts,
	}
	if doc.Statements == nil {
		doc.Statements = []Statement{}
	}
	// The @id is a hash of everything but itself and the timestamp: the
	// same findings give the same id whenever they are written.
	content, err := marshal(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(content)
	doc.ID = IDPrefix + hex.EncodeToString(sum[:])
	doc.Timestamp = opts.Timestamp.UTC().Format(time.RFC3339)
	return doc, nil
}

func compareStatements(a, b Statement) int {
	return cmp.Or(
		strings.Compare(a.Vulnerability.Name, b.Vulnerability.Name),
		strings.Compare(firstID(a), firstID(b)),
		strings.Compare(a.Status, b.Status),
		strings.Compare(a.Justification, b.Justification),
		strings.Compare(a.ActionStatement, b.ActionStatement),
		strings.Compare(a.ImpactStatement, b.ImpactStatement),
		strings.Compare(a.StatusNotes, b.StatusNotes),
	)
}

// firstID is the statement's first subcomponent, or first product.
func firstID(s Statement) string {
	if len(s.Products) == 0 {
		return ""
	}
	if sc := s.Products[0].Subcomponents; len(sc) > 0 {
		return sc[0].ID
	}
	return s.Products[0].ID
}

func statement(f *finding.Finding, a Assessment) Statement {
	return Statement{
		Vulnerability:   Vulnerability{ID: AdvisoryURL(vulnName(f)), Name: vulnName(f)},
		Status:          a.Status,
		StatusNotes:     a.Notes,
		Justification:   a.Justification,
		ImpactStatement: a.Impact,
		ActionStatement: a.Action,
	}
}

// mergeVuln adds what f knows about the vulnerability: the first
// description, every alias.
func mergeVuln(v *Vulnerability, f *finding.Finding) {
	if x := f.Vuln; x != nil {
		if v.Description == "" {
			v.Description = x.Summary
		}
		for _, a := range x.Aliases {
			// JSON cannot tell invalid bytes apart: keep them from
			// making two aliases the same string.
			if a = strings.ToValidUTF8(a, "\uFFFD"); a != v.Name {
				v.Aliases = append(v.Aliases, a)
			}
		}
	}
	if v.Description == "" && f.Rule.Title != "" && f.Rule.Title != v.Name {
		v.Description = f.Rule.Title
	}
}

// vulnName is the finding's primary vulnerability id.
func vulnName(f *finding.Finding) string {
	id := f.Rule.ID
	if f.Vuln != nil && f.Vuln.ID != "" {
		id = f.Vuln.ID
	}
	return cmp.Or(strings.ToValidUTF8(id, "\uFFFD"), "unnamed")
}

// component names a package by its package URL, or a generic one built
// from its name and version when it has none.
func component(p *inventory.Package) Component {
	purl := p.PURL
	if purl == "" {
		purl = inventory.PURL(inventory.Generic, "", cmp.Or(p.Name, "unnamed"), p.Version, nil)
	}
	return Component{ID: purl}
}

// targetComponent stands for a directory target in a finding without a
// package.
func targetComponent(scan *report.Scan) Component {
	purl := inventory.PURL(inventory.Generic, "", cmp.Or(path.Base(scan.Target.Name), "unnamed"), "", nil)
	return Component{ID: purl, Identifiers: &Identifiers{PURL: purl}}
}

// imageProduct is the image as an OCI package URL
// (pkg:oci/<name>@<digest>?repository_url=…&tag=…), or nil for targets
// that are not images. The version is the manifest digest, or the image
// ID (config digest) when the image came without a manifest digest (a
// docker-archive); hashes carry the manifest digest only.
func imageProduct(scan *report.Scan) *Component {
	t := scan.Target
	switch t.Kind {
	case "dir", "rootfs", "":
		return nil
	}
	ref := t.Name
	if t.Kind != "docker" && t.Kind != "registry" {
		// An archive or layout on disk: its tag, if it carries one,
		// names the image better than the file does.
		ref = ""
		if len(t.RepoTags) > 0 {
			ref = t.RepoTags[0]
		}
	}
	repo, tag, refDigest := splitRef(ref)
	name := path.Base(repo)
	if repo == "" {
		name = strings.TrimSuffix(path.Base(t.Name), path.Ext(t.Name))
	}
	digest := cmp.Or(t.Digest, refDigest, t.ImageID)
	q := map[string]string{"repository_url": repo, "tag": tag}
	if t.Platform != "" {
		if _, arch, ok := strings.Cut(t.Platform, "/"); ok {
			q["arch"] = arch
		}
	}
	purl := inventory.PURL("oci", "", strings.ToLower(cmp.Or(name, "image")), digest, q)
	c := &Component{ID: purl, Identifiers: &Identifiers{PURL: purl}}
	if d := cmp.Or(t.Digest, refDigest); strings.HasPrefix(d, "sha256:") {
		c.Hashes = map[string]string{"sha-256": strings.TrimPrefix(d, "sha256:")}
	}
	return c
}

// splitRef splits an image reference into its repository (normalised
// as Docker does: "debian" is docker.io/library/debian), tag and digest.
func splitRef(ref string) (repo, tag, digest string) {
	ref, digest, _ = strings.Cut(ref, "@")
	repo = ref
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		repo, tag = ref[:i], ref[i+1:]
	}
	if repo == "" {
		return "", tag, digest
	}
	first, _, ok := strings.Cut(repo, "/")
	if !ok || !strings.ContainsAny(first, ".:") && first != "localhost" {
		if !strings.Contains(repo, "/") {
			repo = "library/" + repo
		}
		repo = "docker.io/" + repo
	}
	return strings.ToLower(repo), tag, digest
}

func tooling(scan *report.Scan) string {
	s := strings.TrimSpace(cmp.Or(scan.Tool.Name, "pave") + " " + scan.Tool.Version)
	if db := scan.Database; db != nil && db.Digest != "" {
		s += ", vulnerability database " + db.Digest
	}
	return s
}
