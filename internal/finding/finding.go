// Package finding defines the one result type every scanner emits: a
// vulnerability, a misconfiguration, a secret, a pipeline weakness, a
// runtime event, an egress event, a permission or an integrity failure.
// Reports, the gate and the store consume findings and nothing else.
//
// It imports only the standard library.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/inventory"
)

// Kind says which scanner produced a finding.
type Kind string

// The kinds of finding.
const (
	Vulnerability Kind = "vulnerability"
	Misconfig     Kind = "misconfig"
	Secret        Kind = "secret"
	Pipeline      Kind = "pipeline"
	Runtime       Kind = "runtime"
	Egress        Kind = "egress"
	Permission    Kind = "permission"
	Integrity     Kind = "integrity"
)

// Severity orders findings. The zero value is Unknown.
type Severity int

// Severities, lowest first.
const (
	Unknown Severity = iota
	Info
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"unknown", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Control names an external control a rule serves, e.g.
// {Framework: "NIST-800-190", ID: "4.1.2"} or {Framework: "CIS-Docker", ID: "4.1"}.
type Control struct {
	Framework string `json:"framework"`
	ID        string `json:"id"`
}

// Rule is the stable metadata of what a finding violates.
type Rule struct {
	ID          string    `json:"id"` // stable, e.g. "PAVE-DF-001" or "CVE-2024-1234"
	Kind        Kind      `json:"kind"`
	Title       string    `json:"title"`
	Severity    Severity  `json:"severity"` // the default
	Remediation string    `json:"remediation,omitempty"`
	Controls    []Control `json:"controls,omitempty"`
}

// Target names what was scanned: an image reference or a directory.
type Target struct {
	Kind   string `json:"kind"` // "image", "dir", "container", ...
	Name   string `json:"name"`
	Digest string `json:"digest,omitempty"`
}

// Location says where in the target a finding is.
type Location struct {
	Path      string           `json:"path,omitempty"`
	StartLine int              `json:"startLine,omitempty"`
	EndLine   int              `json:"endLine,omitempty"`
	Column    int              `json:"column,omitempty"`
	Layer     *inventory.Layer `json:"layer,omitempty"`
	Container string           `json:"container,omitempty"`
	Process   string           `json:"process,omitempty"`
}

// Signals are the facts that rank a finding's risk.
type Signals struct {
	FixedIn   []string `json:"fixedIn,omitempty"`
	KEV       bool     `json:"kev,omitempty"`
	EPSS      float64  `json:"epss,omitempty"`
	InUse     *bool    `json:"inUse,omitempty"`
	Reachable *bool    `json:"reachable,omitempty"`
}

// Score is one CVSS assessment.
type Score struct {
	Version string  `json:"version"` // "2.0", "3.0", "3.1", "4.0"
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`  // computed from the vector
	Source  string  `json:"source"` // who published the vector: "nvd", "ghsa", an advisory id
}

// Suppression records why a finding does not count against the gate.
type Suppression struct {
	Kind   string `json:"kind"`   // "exception", "vex", "unfixed"
	Reason string `json:"reason"` // the user's reason, or the VEX justification
	Source string `json:"source"` // ".pave.yaml:12", the VEX document's id
	// Expires is the exception's end date, YYYY-MM-DD.
	Expires string `json:"expires,omitempty"`
}

// Vuln is what a vulnerability finding knows about its advisory.
type Vuln struct {
	// ID is the finding's primary id, the CVE when there is one; it is
	// also Rule.ID. Aliases are every other id of the same vulnerability
	// (GHSA, GO, PYSEC, DSA, ALSA...), sorted.
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	// Advisories are the database records that matched, "source:id".
	Advisories []string `json:"advisories"`
	Summary    string   `json:"summary,omitempty"`
	// Scores are the CVSS vectors known for the vulnerability, the
	// highest version first.
	Scores []Score `json:"scores,omitempty"`
	// DistroSeverity is the distribution's own rating (Debian urgency,
	// Alpine or Ubuntu priority) when the package is an OS package.
	DistroSeverity string `json:"distroSeverity,omitempty"`
	// SeveritySource says where Finding.Severity came from: "distro",
	// "cvss-4.0", "cvss-3.1", "cvss-3.0", "cvss-2.0", "advisory", "none".
	SeveritySource string `json:"severitySource"`
	// Status is "fixed" when a fixed version exists, "unfixed" when the
	// publisher has none yet, "wont-fix" when it says it will not fix.
	Status string `json:"status"`
	// KEVDateAdded is set when the CVE is in CISA's KEV catalog.
	KEVDateAdded   string    `json:"kevDateAdded,omitempty"`
	EPSSPercentile float64   `json:"epssPercentile,omitempty"`
	Published      time.Time `json:"published,omitzero"`
	Modified       time.Time `json:"modified,omitzero"`
	References     []string  `json:"references,omitempty"`
}

// Finding is one result.
type Finding struct {
	Rule     Rule               `json:"rule"`
	Severity Severity           `json:"severity"` // may differ from the rule's default
	Target   Target             `json:"target"`
	Location Location           `json:"location"`
	Package  *inventory.Package `json:"package,omitempty"`
	// Evidence is what was seen, already masked: never a secret in clear.
	Evidence string  `json:"evidence,omitempty"`
	Message  string  `json:"message,omitempty"`
	Signals  Signals `json:"signals"`
	// Vuln carries the advisory details of a Vulnerability finding.
	Vuln *Vuln `json:"vuln,omitempty"`
	// Suppressed is set when an exception, a VEX statement or
	// --ignore-unfixed takes the finding out of the gate; the finding is
	// still reported.
	Suppressed *Suppression `json:"suppressed,omitempty"`
	// Fingerprint is a content hash that stays the same for the same
	// problem at the same place across scans; see Fingerprint.
	Fingerprint string `json:"fingerprint"`
}

// ComputeFingerprint returns a stable hash over the rule, target name, path,
// package key and evidence. Line numbers are left out on purpose so that an
// unrelated edit above a finding does not make it "new".
func (f *Finding) ComputeFingerprint() string {
	h := sha256.New()
	pkg := ""
	if f.Package != nil {
		pkg = f.Package.Key()
	}
	for _, s := range []string{f.Rule.ID, f.Target.Name, f.Location.Path, f.Location.Container, pkg, f.Evidence} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
