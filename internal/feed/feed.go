// Package feed defines how published vulnerability data enters pave's
// database. A Parser reads one file of one published format (an OSV JSON
// record, Debian's security-tracker JSON, an Alpine secdb file, an NVD
// API page, the CISA KEV catalog, an EPSS CSV) and hands what it finds to
// a Sink: advisories converted to OSV records, and per-CVE enrichment
// (CVSS vectors, KEV, EPSS).
//
// Parsers never open files, fetch URLs or unpack archives: the database
// builder does that (directories, zip, tar, gzip, zstd; loopback or
// remote URLs) and calls Parse once per file whose path the parser
// matches. Like extractors, parsers treat their input as hostile: bounded
// reads, no panics, a clear error naming what is wrong.
package feed

import (
	"context"
	"io"
	"time"

	"github.com/pavesec/pave/internal/osv"
)

// Parser reads one published format.
type Parser interface {
	// Name is stable and names the format, e.g. "osv", "debian-tracker".
	Name() string
	// Match reports whether the file at path (slash-separated, relative
	// to the feed's root; inside archives, the member name) is in this
	// format. It must be cheap and do no I/O.
	Match(path string) bool
	// Parse reads one file and reports what it holds to out. It may
	// report some records and then return an error; the builder records
	// the error against the file.
	Parse(ctx context.Context, path string, r io.Reader, out Sink) error
}

// Sink receives a feed's content.
type Sink interface {
	Advisory(r *osv.Record) error
	Score(s *Score) error
	KEV(k *KEV) error
	EPSS(e *EPSS) error
}

// Score is a CVE's severity as scored by a third party (NVD).
type Score struct {
	CVE      string         `json:"cve"`
	Source   string         `json:"source"` // "nvd"
	Severity []osv.Severity `json:"severity"`
	// Published and Modified are the scorer's dates, zero if unknown.
	Published time.Time `json:"published,omitzero"`
	Modified  time.Time `json:"modified,omitzero"`
}

// KEV is one entry of CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE        string `json:"cve"`
	DateAdded  string `json:"dateAdded"` // YYYY-MM-DD as published
	DueDate    string `json:"dueDate,omitempty"`
	Ransomware bool   `json:"ransomware,omitempty"` // knownRansomwareCampaignUse == "Known"
	Vendor     string `json:"vendor,omitempty"`
	Product    string `json:"product,omitempty"`
}

// EPSS is a CVE's exploit prediction score.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`          // probability, 0..1
	Percentile float64 `json:"percentile"`     // 0..1
	Date       string  `json:"date,omitempty"` // score_date, YYYY-MM-DD
}

// Collector is a Sink that keeps everything in memory; for tests and
// small feeds.
type Collector struct {
	Advisories []osv.Record
	Scores     []Score
	KEVs       []KEV
	EPSSs      []EPSS
}

// Advisory implements Sink.
func (c *Collector) Advisory(r *osv.Record) error {
	c.Advisories = append(c.Advisories, *r)
	return nil
}

// Score implements Sink.
func (c *Collector) Score(s *Score) error { c.Scores = append(c.Scores, *s); return nil }

// KEV implements Sink.
func (c *Collector) KEV(k *KEV) error { c.KEVs = append(c.KEVs, *k); return nil }

// EPSS implements Sink.
func (c *Collector) EPSS(e *EPSS) error { c.EPSSs = append(c.EPSSs, *e); return nil }

// Feed is a named source of vulnerability data: the parsers for its
// published formats and the real public URLs it is downloaded from by
// default.
type Feed struct {
	Name        string // "osv", "debian", "nvd", ...
	Description string
	Parsers     []Parser
	// URLs are the default locations; a build with no explicit input for
	// the feed downloads these.
	URLs []string
	// Enrichment is true for feeds that only score CVEs (NVD, KEV, EPSS).
	Enrichment bool
}
