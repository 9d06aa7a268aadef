// Package report defines how results leave pave: a Sink receives one scan
// as a stream (header, packages, findings, summary). The JSON sink is the
// internal protocol: every other format can be rebuilt from saved JSON.
package report

import (
	"context"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// Schema is the version of pave's JSON scan document.
const Schema = "pave.scan/v1"

// Target describes what was scanned.
type Target struct {
	Kind     string   `json:"kind"` // artifact kind: "docker-archive", "dir", ...
	Name     string   `json:"name"`
	Digest   string   `json:"digest,omitempty"`
	ImageID  string   `json:"imageID,omitempty"`
	Platform string   `json:"platform,omitempty"`
	RepoTags []string `json:"repoTags,omitempty"`
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Header opens a scan.
type Header struct {
	Schema string            `json:"schema"`
	Tool   Tool              `json:"tool"`
	Target Target            `json:"target"`
	Distro *inventory.Distro `json:"distro,omitempty"`
	Layers []inventory.Layer `json:"layers,omitempty"`
	// Database is the vulnerability database the scan matched against;
	// nil when no vulnerability scan ran.
	Database *Database `json:"database,omitempty"`
}

// Database identifies a vulnerability database: every report that used
// one records exactly which, so a finding can be traced to its data.
type Database struct {
	Schema string    `json:"schema"` // "pave.vulndb/v1"
	Digest string    `json:"digest"` // "sha256:…" of the whole file
	Built  time.Time `json:"built"`
	// Signer is the key id that signed it; empty when verification was
	// skipped with --insecure-skip-db-verify.
	Signer   string `json:"signer,omitempty"`
	Verified bool   `json:"verified"`
}

// FileError is a file that could not be read, as reported.
type FileError struct {
	Path      string `json:"path"`
	Layer     int    `json:"layer"` // -1 outside images
	Extractor string `json:"extractor,omitempty"`
	Error     string `json:"error"`
}

// Summary closes a scan.
type Summary struct {
	// Status is "complete", or "partial" when some file could not be read.
	Status   string      `json:"status"`
	Errors   []FileError `json:"errors,omitempty"`
	Packages int         `json:"packages"`
	Findings int         `json:"findings"`
	Files    int64       `json:"files"`
}

// Sink consumes one scan. Calls come in order: Start, any number of
// Package (sorted) and Finding (sorted), then End. A sink writes its output
// in End at the latest.
type Sink interface {
	Start(ctx context.Context, h *Header) error
	Package(ctx context.Context, p *inventory.Package) error
	Finding(ctx context.Context, f *finding.Finding) error
	End(ctx context.Context, s *Summary) error
}

// Scan is a whole scan in memory: what the JSON format holds.
type Scan struct {
	Header
	Packages []inventory.Package `json:"packages"`
	Findings []finding.Finding   `json:"findings"`
	Summary  Summary             `json:"summary"`
}

// Emit streams scan into sink.
func Emit(ctx context.Context, sink Sink, scan *Scan) error {
	if err := sink.Start(ctx, &scan.Header); err != nil {
		return err
	}
	for i := range scan.Packages {
		if err := sink.Package(ctx, &scan.Packages[i]); err != nil {
			return err
		}
	}
	for i := range scan.Findings {
		if err := sink.Finding(ctx, &scan.Findings[i]); err != nil {
			return err
		}
	}
	return sink.End(ctx, &scan.Summary)
}

// Collector is a Sink that rebuilds a Scan; other sinks embed it when
// their format needs everything before writing.
type Collector struct{ Scan Scan }

// Start implements Sink.
func (c *Collector) Start(_ context.Context, h *Header) error { c.Scan.Header = *h; return nil }

// Package implements Sink.
func (c *Collector) Package(_ context.Context, p *inventory.Package) error {
	c.Scan.Packages = append(c.Scan.Packages, *p)
	return nil
}

// Finding implements Sink.
func (c *Collector) Finding(_ context.Context, f *finding.Finding) error {
	c.Scan.Findings = append(c.Scan.Findings, *f)
	return nil
}

// End implements Sink.
func (c *Collector) End(_ context.Context, s *Summary) error { c.Scan.Summary = *s; return nil }
