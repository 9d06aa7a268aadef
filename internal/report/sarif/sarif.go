// Package sarif writes a scan's findings as a SARIF 2.1.0 log
// (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the format GitHub code
// scanning and most security dashboards import.
//
// The log has one run. Its tool.driver lists one rule per distinct rule id
// (for vulnerabilities, the CVE or other primary id) sorted by id; results
// follow the scan's finding order. Every finding kind maps the same way: a
// result with a level from its severity, a physical location (the file, or
// for image findings the package's file inside the image, e.g.
// var/lib/dpkg/status), pave's fingerprint as a partial fingerprint, a
// suppression when an exception or VEX statement took it out of the gate,
// and a property bag with the package, versions, layer and risk signals.
//
// GitHub ranks alerts by the rule property "security-severity", a number
// as a string. pave writes the highest CVSS base score of the rule's
// findings when it falls in the band of pave's severity, and otherwise a
// value inside that band (the distribution's rating may differ from the
// CVSS score), so that GitHub shows the severity pave reports.
//
// The output is deterministic: structs in a fixed field order, maps only
// as property bags (encoding/json sorts their keys), no timestamps.
package sarif

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// Version is the SARIF version written.
const Version = "2.1.0"

// SchemaURL is the schema the log declares in "$schema": the OASIS
// errata01 schema, whose id this is.
const SchemaURL = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// InformationURI is pave's home page, written as tool.driver.informationUri.
const InformationURI = "https://github.com/pavesec/pave"

// FingerprintKey names pave's fingerprint among a result's
// partialFingerprints. The "/v1" is the fingerprint's version: a change to
// finding.ComputeFingerprint must bump it so that dashboards do not match
// old and new values.
const FingerprintKey = "paveFingerprint/v1"

// Base URI ids for relative paths. Paths of image findings are relative
// to the image's filesystem root; those of directory findings to the
// scanned directory.
const (
	ImageRoot  = "ROOTPATH"
	SourceRoot = "SRCROOT"
)

// Options tune the log.
type Options struct {
	// Category, when set, is written as run.automationDetails.id
	// ("<category>/"): GitHub keeps one analysis per category, so scans
	// of different images uploaded from one repository need different
	// categories.
	Category string
}

// Log is a SARIF log, as far as pave fills it.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of one tool.
type Run struct {
	Tool               Tool                        `json:"tool"`
	Invocations        []Invocation                `json:"invocations,omitempty"`
	OriginalURIBaseIDs map[string]ArtifactLocation `json:"originalUriBaseIds,omitempty"`
	// Results is always written, [] when there are none: SARIF reads an
	// absent list as "the tool did not run".
	Results           []Result           `json:"results"`
	AutomationDetails *AutomationDetails `json:"automationDetails,omitempty"`
	Properties        map[string]any     `json:"properties,omitempty"`
}

// Tool names the analysis tool.
type Tool struct {
	Driver ToolComponent `json:"driver"`
}

// ToolComponent is the tool's driver and its rules.
type ToolComponent struct {
	Name           string                `json:"name"`
	Version        string                `json:"version,omitempty"`
	InformationURI string                `json:"informationUri,omitempty"`
	Rules          []ReportingDescriptor `json:"rules,omitempty"`
}

// ReportingDescriptor is a rule.
type ReportingDescriptor struct {
	ID                   string                  `json:"id"`
	Name                 string                  `json:"name,omitempty"`
	ShortDescription     *Message                `json:"shortDescription,omitempty"`
	FullDescription      *Message                `json:"fullDescription,omitempty"`
	HelpURI              string                  `json:"helpUri,omitempty"`
	Help                 *Message                `json:"help,omitempty"`
	DefaultConfiguration *ReportingConfiguration `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any          `json:"properties,omitempty"`
}

// ReportingConfiguration is a rule's default level.
type ReportingConfiguration struct {
	Level string `json:"level,omitempty"`
}

// Message is plain text with an optional Markdown form.
type Message struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

// Result is one finding.
type Result struct {
	RuleID string `json:"ruleId"`
	// RuleIndex is always written: 0 is a valid index.
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             Message           `json:"message"`
	Locations           []Location        `json:"locations,omitempty"`
	RelatedLocations    []Location        `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Suppressions        []Suppression     `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// Location is where a result is.
type Location struct {
	ID               *int              `json:"id,omitempty"`
	PhysicalLocation *PhysicalLocation `json:"physicalLocation,omitempty"`
	Message          *Message          `json:"message,omitempty"`
	Properties       map[string]any    `json:"properties,omitempty"`
}

// PhysicalLocation is a file and a region in it.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// ArtifactLocation is a file, as a URI reference relative to a base id.
type ArtifactLocation struct {
	URI         string   `json:"uri,omitempty"`
	URIBaseID   string   `json:"uriBaseId,omitempty"`
	Description *Message `json:"description,omitempty"`
}

// Region is a part of a file; lines and columns are 1-based.
type Region struct {
	StartLine   int `json:"startLine,omitempty"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine,omitempty"`
}

// Suppression records why a result does not count.
type Suppression struct {
	Kind          string         `json:"kind"`   // "external" or "inSource"
	Status        string         `json:"status"` // always "accepted"
	Justification string         `json:"justification,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
}

// Invocation records how the run went; pave lists the files it could not
// read as warnings.
type Invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ToolExecutionNotifications []Notification `json:"toolExecutionNotifications,omitempty"`
}

// Notification is one problem the tool met while running.
type Notification struct {
	Level     string     `json:"level"`
	Message   Message    `json:"message"`
	Locations []Location `json:"locations,omitempty"`
}

// AutomationDetails names the run's category.
type AutomationDetails struct {
	ID string `json:"id"`
}

// Sink writes the log when the scan ends.
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

// Write writes scan as an indented SARIF log.
func Write(ctx context.Context, w io.Writer, scan *report.Scan, opts Options) error {
	log, err := Build(ctx, scan, opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("sarif: encode: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("sarif: write: %w", err)
	}
	return nil
}

// Build maps scan to a SARIF log.
func Build(ctx context.Context, scan *report.Scan, opts Options) (*Log, error) {
	image := isImage(scan.Target.Kind)
	base := SourceRoot
	if image {
		base = ImageRoot
	}
	// Group findings by rule id, rules sorted by id.
	byRule := map[string][]*finding.Finding{}
	var ids []string
	for i := range scan.Findings {
		f := &scan.Findings[i]
		if _, ok := byRule[f.Rule.ID]; !ok {
			ids = append(ids, f.Rule.ID)
		}
		byRule[f.Rule.ID] = append(byRule[f.Rule.ID], f)
	}
	slices.Sort(ids)
	index := make(map[string]int, len(ids))
	rules := make([]ReportingDescriptor, len(ids))
	for i, id := range ids {
		index[id] = i
		rules[i] = rule(byRule[id])
	}

	results := make([]Result, 0, len(scan.Findings))
	usedBase := false
	for i := range scan.Findings {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		f := &scan.Findings[i]
		r := result(f, scan, base)
		r.RuleIndex = index[f.Rule.ID]
		for _, l := range r.Locations {
			usedBase = usedBase || l.PhysicalLocation != nil && l.PhysicalLocation.ArtifactLocation.URIBaseID != ""
		}
		results = append(results, r)
	}

	run := Run{
		Tool: Tool{Driver: ToolComponent{
			Name:           cmpOr(scan.Tool.Name, "pave"),
			Version:        scan.Tool.Version,
			InformationURI: InformationURI,
			Rules:          rules,
		}},
		Invocations: []Invocation{invocation(scan, base)},
		Results:     results,
		Properties:  runProperties(scan),
	}
	if usedBase || len(scan.Summary.Errors) > 0 {
		run.OriginalURIBaseIDs = map[string]ArtifactLocation{base: baseLocation(scan, image)}
	}
	if opts.Category != "" {
		run.AutomationDetails = &AutomationDetails{ID: strings.TrimSuffix(opts.Category, "/") + "/"}
	}
	return &Log{Schema: SchemaURL, Version: Version, Runs: []Run{run}}, nil
}

func baseLocation(scan *report.Scan, image bool) ArtifactLocation {
	if image {
		return ArtifactLocation{URI: "file:///", Description: &Message{Text: "the root of the filesystem of image " + cmpOr(scan.Target.Name, "(unnamed)")}}
	}
	return ArtifactLocation{Description: &Message{Text: "the scanned directory " + cmpOr(scan.Target.Name, "(unnamed)")}}
}

func invocation(scan *report.Scan, base string) Invocation {
	inv := Invocation{ExecutionSuccessful: true}
	for _, e := range scan.Summary.Errors {
		n := Notification{Level: "warning", Message: Message{Text: fileError(e)}}
		if e.Path != "" {
			n.Locations = []Location{{PhysicalLocation: &PhysicalLocation{ArtifactLocation: ArtifactLocation{URI: pathURI(e.Path), URIBaseID: base}}}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	return inv
}

func fileError(e report.FileError) string {
	s := e.Error
	if e.Extractor != "" {
		s = e.Extractor + ": " + s
	}
	if e.Layer >= 0 {
		s += " (layer #" + strconv.Itoa(e.Layer) + ")"
	}
	return s
}

func runProperties(scan *report.Scan) map[string]any {
	p := map[string]any{}
	t := scan.Target
	put(p, "targetKind", t.Kind)
	put(p, "targetName", t.Name)
	put(p, "imageDigest", t.Digest)
	put(p, "imageID", t.ImageID)
	put(p, "platform", t.Platform)
	if d := scan.Distro; d != nil {
		put(p, "distro", strings.TrimSpace(d.ID+" "+d.VersionID))
	}
	put(p, "scanStatus", scan.Summary.Status)
	if db := scan.Database; db != nil {
		m := map[string]any{"schema": db.Schema, "digest": db.Digest, "verified": db.Verified}
		if !db.Built.IsZero() {
			m["built"] = db.Built.UTC().Format("2006-01-02T15:04:05Z")
		}
		if db.Signer != "" {
			m["signer"] = db.Signer
		}
		p["database"] = m
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

func put(p map[string]any, k, v string) {
	if v != "" {
		p[k] = v
	}
}

// isImage reports whether a report target kind is a container image.
func isImage(kind string) bool { return kind != "dir" && kind != "rootfs" && kind != "" }

// level maps a severity to a SARIF level.
func level(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	default:
		return "note"
	}
}

// pathURI turns a slash path into a relative URI reference, percent-
// encoding what a URI cannot hold (spaces, "%", "#", "?") and guarding a
// first segment with a colon so it is not read as a scheme.
func pathURI(p string) string {
	return (&url.URL{Path: strings.TrimPrefix(p, "/")}).String()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// firstLayer is the layer of the first package location that has one.
func firstLayer(locs []inventory.Location) *inventory.Layer {
	for _, l := range locs {
		if l.Layer != nil {
			return l.Layer
		}
	}
	return nil
}
