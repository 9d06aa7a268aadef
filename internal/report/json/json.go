// Package jsonreport writes and reads pave's own scan document,
// "pave.scan/v1": the whole report.Scan as one JSON object. It is the
// internal protocol between pave's parts: every other output format can be
// rebuilt from a saved document with Read and report.Emit.
//
// The field-by-field schema is in docs/formats.md.
package jsonreport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// MaxDocumentSize bounds what Read accepts. A scan of a large image with
// every package and finding is a few tens of megabytes.
const MaxDocumentSize = 256 << 20

// ErrSchema is returned by Read for a document of another schema.
var ErrSchema = errors.New("not a " + report.Schema + " document")

// Options tune the output.
type Options struct {
	// Compact writes one line without indentation, for storage and pipes.
	Compact bool
}

// Sink writes the scan as one JSON document when the scan ends.
type Sink struct {
	report.Collector
	w    io.Writer
	opts Options
}

var _ report.Sink = (*Sink)(nil)

// New returns a sink writing to w.
func New(w io.Writer, opts Options) *Sink {
	return &Sink{w: w, opts: opts}
}

// End implements report.Sink: it writes the document.
func (s *Sink) End(ctx context.Context, sum *report.Summary) error {
	if err := s.Collector.End(ctx, sum); err != nil {
		return err
	}
	return Write(s.w, &s.Collector.Scan, s.opts)
}

// Write writes scan as a pave.scan/v1 document. An empty schema field is
// filled in; any other schema is an error. Empty package and finding
// lists are written as [] so that readers never meet null.
func Write(w io.Writer, scan *report.Scan, opts Options) error {
	doc := *scan
	switch doc.Schema {
	case "":
		doc.Schema = report.Schema
	case report.Schema:
	default:
		return fmt.Errorf("jsonreport: write schema %q: %w", doc.Schema, ErrSchema)
	}
	if doc.Packages == nil {
		doc.Packages = []inventory.Package{}
	}
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if !opts.Compact {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("jsonreport: encode: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("jsonreport: write: %w", err)
	}
	return nil
}

// Read parses a pave.scan/v1 document. It rejects other schemas
// (ErrSchema), documents over MaxDocumentSize, trailing data and values of
// the wrong type. Unknown fields are ignored so that a v1 reader accepts
// later, additive v1 documents.
func Read(r io.Reader) (*report.Scan, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("jsonreport: read: %w", err)
	}
	if len(b) > MaxDocumentSize {
		return nil, fmt.Errorf("jsonreport: document larger than %d bytes", MaxDocumentSize)
	}
	// Check the schema first so that a document of another kind gets a
	// clear error rather than a type mismatch deep inside it.
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("jsonreport: parse: %w", err)
	}
	if head.Schema == nil {
		return nil, fmt.Errorf("jsonreport: no schema field: %w", ErrSchema)
	}
	if *head.Schema != report.Schema {
		return nil, fmt.Errorf("jsonreport: schema %q: %w", *head.Schema, ErrSchema)
	}
	var scan report.Scan
	if err := json.Unmarshal(b, &scan); err != nil {
		return nil, fmt.Errorf("jsonreport: parse: %w", err)
	}
	if err := check(&scan); err != nil {
		return nil, fmt.Errorf("jsonreport: %w", err)
	}
	return &scan, nil
}

// check rejects what would make a sink misbehave: missing package lists
// are fine (nil), but a package needs a name and a location list that
// names paths.
func check(s *report.Scan) error {
	switch s.Summary.Status {
	case "complete", "partial":
	default:
		return fmt.Errorf("summary status %q: want complete or partial", s.Summary.Status)
	}
	for i := range s.Packages {
		p := &s.Packages[i]
		if p.Name == "" {
			return fmt.Errorf("package %d: no name", i)
		}
		if p.Ecosystem == "" {
			return fmt.Errorf("package %d (%s): no ecosystem", i, p.Name)
		}
	}
	return nil
}
