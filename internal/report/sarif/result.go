package sarif

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/report/openvex"
)

// maxRelated caps the extra places of a package listed per result, and
// maxHelpRows the rows of a rule's help table.
const (
	maxRelated  = 20
	maxHelpRows = 50
)

// ruleID is the finding's rule id; SARIF results need one.
func ruleID(f *finding.Finding) string { return cmpOr(f.Rule.ID, "unnamed") }

func result(f *finding.Finding, scan *report.Scan, base string) Result {
	r := Result{
		RuleID:  ruleID(f),
		Level:   level(f.Severity),
		Message: Message{Text: message(f)},
	}
	primary, layer := primaryLocation(f, scan, base)
	r.Locations = []Location{primary}
	r.RelatedLocations = related(f, primary, base)
	fp := f.Fingerprint
	if fp == "" {
		fp = f.ComputeFingerprint()
	}
	r.PartialFingerprints = map[string]string{FingerprintKey: fp}
	if s := f.Suppressed; s != nil {
		r.Suppressions = []Suppression{suppression(s)}
	}
	r.Properties = resultProperties(f, layer)
	return r
}

// primaryLocation is the finding's file, or else its package's first
// file; a finding with neither (an image's configuration) points at the
// target itself. GitHub requires a region with a start line, so the line
// is 1 when unknown.
func primaryLocation(f *finding.Finding, scan *report.Scan, base string) (Location, *inventory.Layer) {
	l := f.Location
	path, line, inner, layer := l.Path, l.StartLine, "", l.Layer
	if p := f.Package; p != nil && len(p.Locations) > 0 {
		first := p.Locations[0]
		if path == "" {
			path, line, inner, layer = first.Path, first.Line, first.Inner, first.Layer
		} else if path == first.Path {
			if line == 0 {
				line = first.Line
			}
			inner = first.Inner
			if layer == nil {
				layer = first.Layer
			}
		}
	}
	art := ArtifactLocation{URI: pathURI(path), URIBaseID: base}
	msg := locationMessage(inner, layer)
	if path == "" {
		// Nothing to point at but the target: an image's configuration,
		// a directory as a whole.
		art = ArtifactLocation{URI: pathURI(cmpOr(f.Target.Name, scan.Target.Name))}
		what := "the scanned target"
		if base == ImageRoot {
			what = "the image configuration"
		}
		msg = strings.TrimSuffix(what+"; "+msg, "; ")
	}
	region := &Region{StartLine: max(line, 1), StartColumn: max(l.Column, 0)}
	if l.Path == path && l.EndLine >= region.StartLine && l.EndLine > 0 {
		region.EndLine = l.EndLine
	}
	loc := Location{PhysicalLocation: &PhysicalLocation{ArtifactLocation: art, Region: region}}
	if msg != "" {
		loc.Message = &Message{Text: msg}
	}
	return loc, layer
}

// locationMessage says what a path alone cannot: the archive member and
// the image layer.
func locationMessage(inner string, layer *inventory.Layer) string {
	var parts []string
	if inner != "" {
		parts = append(parts, "inside the archive: "+inner)
	}
	if layer != nil {
		s := "layer #" + strconv.Itoa(layer.Index)
		if d := cmpOr(layer.Digest, layer.DiffID); d != "" {
			s += " " + d
		}
		if layer.CreatedBy != "" {
			s += ", created by: " + truncate(layer.CreatedBy, 160)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// related lists the package's other places.
func related(f *finding.Finding, primary Location, base string) []Location {
	p := f.Package
	if p == nil || len(p.Locations) < 2 {
		return nil
	}
	var out []Location
	seen := primary.PhysicalLocation.ArtifactLocation.URI
	for _, l := range p.Locations {
		uri := pathURI(l.Path)
		if l.Path == "" || uri == seen && l.Inner == "" {
			continue
		}
		if len(out) == maxRelated {
			break
		}
		id := len(out) + 1
		loc := Location{
			ID: &id,
			PhysicalLocation: &PhysicalLocation{
				ArtifactLocation: ArtifactLocation{URI: uri, URIBaseID: base},
				Region:           &Region{StartLine: max(l.Line, 1)},
			},
			Message: &Message{Text: cmpOr(locationMessage(l.Inner, l.Layer), "also found here")},
		}
		out = append(out, loc)
	}
	return out
}

func suppression(s *finding.Suppression) Suppression {
	kind := "external"
	switch strings.ToLower(s.Kind) {
	case "inline", "insource", "in-source", "comment":
		kind = "inSource"
	}
	out := Suppression{Kind: kind, Status: "accepted", Justification: s.Reason}
	p := map[string]any{}
	put(p, "paveKind", s.Kind)
	put(p, "source", s.Source)
	put(p, "expires", s.Expires)
	if len(p) > 0 {
		out.Properties = p
	}
	return out
}

func resultProperties(f *finding.Finding, layer *inventory.Layer) map[string]any {
	p := map[string]any{"severity": f.Severity.String()}
	put(p, "kind", string(f.Rule.Kind))
	if pkg := f.Package; pkg != nil {
		put(p, "package", pkg.Name)
		put(p, "installedVersion", pkg.Version)
		put(p, "ecosystem", string(pkg.Ecosystem))
		put(p, "purl", pkg.PURL)
		put(p, "ownedBy", pkg.OwnedBy)
	}
	s := f.Signals
	if len(s.FixedIn) > 0 {
		p["fixedVersions"] = s.FixedIn
	}
	if s.KEV {
		p["kev"] = true
	}
	if s.EPSS > 0 {
		p["epss"] = s.EPSS
	}
	if s.InUse != nil {
		p["inUse"] = *s.InUse
	}
	if s.Reachable != nil {
		p["reachable"] = *s.Reachable
	}
	if v := f.Vuln; v != nil {
		put(p, "status", v.Status)
		if len(v.Aliases) > 0 {
			p["aliases"] = v.Aliases
		}
		if len(v.Advisories) > 0 {
			p["advisories"] = v.Advisories
		}
		put(p, "severitySource", v.SeveritySource)
		put(p, "distroSeverity", v.DistroSeverity)
		put(p, "kevDateAdded", v.KEVDateAdded)
		if v.EPSSPercentile > 0 {
			p["epssPercentile"] = v.EPSSPercentile
		}
		if len(v.Scores) > 0 {
			cvss := make([]map[string]any, len(v.Scores))
			for i, sc := range v.Scores {
				cvss[i] = map[string]any{"version": sc.Version, "vector": sc.Vector, "score": sc.Score}
				put(cvss[i], "source", sc.Source)
			}
			p["cvss"] = cvss
		}
	}
	if layer != nil {
		p["layerIndex"] = layer.Index
		put(p, "layerDigest", layer.Digest)
		put(p, "layerDiffID", layer.DiffID)
	}
	var cwes []string
	var controls []finding.Control
	for _, c := range f.Rule.Controls {
		if isCWE(c) {
			cwes = append(cwes, c.ID)
		} else {
			controls = append(controls, c)
		}
	}
	if len(cwes) > 0 {
		p["cwes"] = cwes
	}
	if len(controls) > 0 {
		p["controls"] = controlNames(controls)
	}
	put(p, "evidence", f.Evidence)
	return p
}

// message is the result's text: for a vulnerability in a package, what
// is affected, by what, and what to do; otherwise the finding's message
// or its rule's title, with the (already masked) evidence.
func message(f *finding.Finding) string {
	var b strings.Builder
	if p := f.Package; f.Rule.Kind == finding.Vulnerability && p != nil {
		fmt.Fprintf(&b, "%s %s is affected by %s", cmpOr(p.Name, "a package"), p.Version, ruleID(f))
		if t := title(f); t != ruleID(f) {
			b.WriteString(": ")
			b.WriteString(strings.TrimSuffix(t, "."))
		}
		b.WriteString(". ")
		b.WriteString(openvex.Remediation(f))
		if f.Signals.KEV {
			b.WriteString(" Known to be exploited (CISA KEV")
			if f.Vuln != nil && f.Vuln.KEVDateAdded != "" {
				b.WriteString(", added " + f.Vuln.KEVDateAdded)
			}
			b.WriteString(").")
		}
		return b.String()
	}
	b.WriteString(sentence(cmpOr(f.Message, title(f))))
	if r := f.Rule.Remediation; r != "" && f.Rule.Kind != finding.Vulnerability {
		b.WriteString(" " + sentence(r))
	}
	if f.Evidence != "" {
		b.WriteString(" Evidence: " + f.Evidence)
	}
	return b.String()
}

// title is the rule's title, the advisory summary, or the id.
func title(f *finding.Finding) string {
	if f.Rule.Title != "" {
		return f.Rule.Title
	}
	if f.Vuln != nil && f.Vuln.Summary != "" {
		return f.Vuln.Summary
	}
	return ruleID(f)
}

// sentence ends s with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func controlNames(cs []finding.Control) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strings.TrimSpace(c.Framework + " " + c.ID)
	}
	return out
}

// truncate cuts s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
