// Package osv holds the Open Source Vulnerability schema
// (https://ossf.github.io/osv-schema/, 1.6), the one record model of
// pave's vulnerability database: every feed, whatever its published
// format (Debian's tracker, Alpine's secdb, RubySec YAML, GHSA CSV), is
// converted to these records, and the matcher reads nothing else.
//
// Conventions beyond the schema, used by pave's converters:
//
//   - Distribution severity (Debian urgency, Alpine/Ubuntu priority) is
//     Affected.EcosystemSpecific["severity"], a lower-case word such as
//     "low", "medium", "high", "critical", "negligible", "unimportant".
//   - An advisory that covers several CVEs (DSA, DLA, ALSA) lists them in
//     Upstream (or Related, as AlmaLinux publishes them); Aliases holds
//     only ids of the very same vulnerability. Related ids count as covered
//     CVEs only for distribution advisories (see Record.CVEs).
//
// It imports only the standard library.
package osv

import (
	"encoding/json"
	"strings"
	"time"
)

// Range types.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Severity types.
const (
	SeverityCVSSv2 = "CVSS_V2"
	SeverityCVSSv3 = "CVSS_V3"
	SeverityCVSSv4 = "CVSS_V4"
	SeverityUbuntu = "Ubuntu"
)

// Record is one OSV advisory.
type Record struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        *time.Time      `json:"published,omitempty"`
	Withdrawn        *time.Time      `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is a scored severity: Score is a CVSS vector for the CVSS
// types, a word for "Ubuntu".
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Package names an affected package. Ecosystem is an OSV ecosystem
// ("PyPI", "Debian:12", "Alpine:v3.19", "AlmaLinux:8").
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Affected says which versions of one package are affected.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Range is a list of events over one version ordering.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one point of a range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// BaseEcosystem returns the ecosystem without its release suffix:
// "Debian:12" → "Debian".
func BaseEcosystem(eco string) string {
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		return eco[:i]
	}
	return eco
}

// CVEs returns the CVE ids this record is about: its own id if it is one,
// then its aliases and upstream ids that are CVEs, and, when related is
// set, its related ids that are CVEs, without duplicates, in that order.
//
// Related ids mean different things in different feeds: AlmaLinux lists
// the CVEs an advisory fixes there, while RustSec and GHSA list merely
// similar issues (RUSTSEC-2023-0052 relates to a Go CVE). Callers read
// them only for distribution advisories.
func (r *Record) CVEs(related bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if strings.HasPrefix(id, "CVE-") && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(r.ID)
	lists := [][]string{r.Aliases, r.Upstream}
	if related {
		lists = append(lists, r.Related)
	}
	for _, l := range lists {
		for _, id := range l {
			add(id)
		}
	}
	return out
}
