package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/jsonfile"
)

// VEXFormat names a VEX document format.
type VEXFormat string

// The VEX formats pave reads.
const (
	OpenVEX        VEXFormat = "openvex"
	CycloneDXVEX   VEXFormat = "cyclonedx"
	maxVEXWarnings           = 50
)

// VEXStatus is a statement's status in OpenVEX terms; CycloneDX analysis
// states map onto it (docs/policy.md has the table).
type VEXStatus string

// The statuses. NotAffected and Fixed suppress a finding; Affected and
// UnderInvestigation keep it in the gate.
const (
	NotAffected        VEXStatus = "not_affected"
	Affected           VEXStatus = "affected"
	Fixed              VEXStatus = "fixed"
	UnderInvestigation VEXStatus = "under_investigation"
)

// Suppresses reports whether a statement with this status takes a finding
// out of the gate.
func (s VEXStatus) Suppresses() bool { return s == NotAffected || s == Fixed }

// VEXDocument is one VEX document reduced to what matching needs.
type VEXDocument struct {
	Format VEXFormat
	// ID is the OpenVEX @id or the CycloneDX serialNumber; may be empty.
	ID string
	// File is the name the document was read from.
	File      string
	Author    string
	Timestamp time.Time
	// Statements in document order. Statements that cannot apply to
	// anything (no product pave can match) are left out with a warning.
	Statements []VEXStatement
	// Warnings are problems that did not stop the document from being
	// read: statements or products pave cannot use, and why.
	Warnings []string
}

// Name is what a suppression's Source says: the document id, or the file
// name when the document has none.
func (d *VEXDocument) Name() string {
	if d.ID != "" {
		return d.ID
	}
	return d.File
}

func (d *VEXDocument) warnf(format string, args ...any) {
	switch {
	case len(d.Warnings) < maxVEXWarnings:
		d.Warnings = append(d.Warnings, fmt.Sprintf(format, args...))
	case len(d.Warnings) == maxVEXWarnings:
		d.Warnings = append(d.Warnings, "further warnings left out")
	}
}

// VEXStatement is one statement: a vulnerability, the products it is about
// and their status.
type VEXStatement struct {
	// Index is the statement's position in its document (0-based).
	Index int
	// Vulnerability is the statement's main id; Aliases are its other ids.
	Vulnerability string
	Aliases       []string
	Products      []VEXProduct
	Status        VEXStatus
	// State is the status as the document spelled it (CycloneDX
	// "false_positive", "resolved", ...).
	State         string
	Justification string
	// Impact is the OpenVEX impact_statement or the CycloneDX detail.
	Impact string
	// Timestamp is when the statement was made, inherited from the
	// document when the statement has none; zero when neither says.
	Timestamp time.Time
}

// Reason is the statement's justification and impact statement, the text a
// suppression records.
func (s *VEXStatement) Reason() string {
	var parts []string
	if s.Status != NotAffected || s.State != string(s.Status) {
		parts = append(parts, s.State)
	}
	if s.Justification != "" {
		parts = append(parts, s.Justification)
	}
	if s.Impact != "" {
		parts = append(parts, s.Impact)
	}
	return strings.Join(parts, ": ")
}

// VEXProduct is what a statement is about: a package (PURL), or an image
// (Image reference or Digest) optionally narrowed to Subcomponents.
type VEXProduct struct {
	// ID is the product as the document names it (@id, bom-ref).
	ID string
	// PURL is the package URL of a package product.
	PURL string
	// Image is an image reference ("ghcr.io/org/app:1.2"); Digest an image
	// digest ("sha256:…"). Either makes the product an image.
	Image  string
	Digest string
	// Subcomponents narrow the statement to these packages inside the
	// product.
	Subcomponents []VEXProduct
	// Versions, when set, limit the statement to these versions of the
	// package (CycloneDX affects[].versions).
	Versions []string
}

// ReadVEX reads a VEX document of at most MaxVEXSize bytes.
func ReadVEX(name string) (*VEXDocument, error) {
	data, err := jsonfile.Read(name, MaxVEXSize)
	if err != nil {
		return nil, fmt.Errorf("vex: %w", err)
	}
	return ParseVEX(data, name)
}

// ErrUnknownVEXFormat is returned for JSON that is neither OpenVEX nor
// CycloneDX.
var ErrUnknownVEXFormat = errors.New("not an OpenVEX or CycloneDX JSON document")

// ParseVEX reads an OpenVEX or CycloneDX JSON VEX document, telling them
// apart by their "@context" and "bomFormat" fields.
func ParseVEX(data []byte, file string) (*VEXDocument, error) {
	if len(data) > MaxVEXSize {
		return nil, fmt.Errorf("vex: %s: larger than %d bytes", file, MaxVEXSize)
	}
	var probe struct {
		Context   json.RawMessage `json:"@context"`
		BOMFormat string          `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("vex: %s: %w", file, jsonError(data, err))
	}
	switch {
	case bytes.Contains(bytes.ToLower(probe.Context), []byte("openvex")):
		return ParseOpenVEX(data, file)
	case probe.BOMFormat == "CycloneDX":
		return ParseCycloneDXVEX(data, file)
	}
	return nil, fmt.Errorf("vex: %s: %w", file, ErrUnknownVEXFormat)
}

// jsonError adds the line to a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			err = fmt.Errorf("%s must be %s, not %s", te.Field, te.Type, te.Value)
		}
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	return fmt.Errorf("line %d: %w", 1+bytes.Count(data[:off], []byte{'\n'}), err)
}

// parseTime reads an RFC 3339 timestamp; empty or unreadable is zero.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", dateLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// stringOrList decodes a JSON string or list of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*s = many
	return nil
}

// productFromID classifies a product identifier: a package URL, an image
// reference, or something pave cannot match (an IRI, a CPE).
func productFromID(id string) (VEXProduct, bool) {
	p := VEXProduct{ID: id}
	if _, ok := cutPrefixFold(id, "pkg:"); ok {
		p.PURL = id
		return p, true
	}
	if _, ok := parseImageRef(id); ok {
		p.Image = id
		return p, true
	}
	return p, false
}
