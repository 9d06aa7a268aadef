package cyclonedx

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/report/openvex"
)

// Vulnerability is a CycloneDX vulnerability: one per vulnerability and
// affected component, so that its analysis, fix and properties are
// about exactly one package.
type Vulnerability struct {
	ID             string          `json:"id"`
	Source         *VulnSource     `json:"source,omitempty"`
	References     []VulnReference `json:"references,omitempty"`
	Ratings        []Rating        `json:"ratings,omitempty"`
	CWEs           []int           `json:"cwes,omitempty"`
	Description    string          `json:"description,omitempty"`
	Recommendation string          `json:"recommendation,omitempty"`
	Advisories     []Advisory      `json:"advisories,omitempty"`
	Published      string          `json:"published,omitempty"`
	Updated        string          `json:"updated,omitempty"`
	Analysis       *Analysis       `json:"analysis,omitempty"`
	Affects        []Affect        `json:"affects,omitempty"`
	Properties     []Property      `json:"properties,omitempty"`
}

// VulnSource is who published a vulnerability or a rating.
type VulnSource struct {
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// VulnReference is another id of the same vulnerability.
type VulnReference struct {
	ID     string     `json:"id"`
	Source VulnSource `json:"source"`
}

// Rating is one severity assessment: a CVSS vector and score, or the
// distribution's own rating (method "other").
type Rating struct {
	Source        *VulnSource `json:"source,omitempty"`
	Score         *float64    `json:"score,omitempty"`
	Severity      string      `json:"severity,omitempty"`
	Method        string      `json:"method,omitempty"`
	Vector        string      `json:"vector,omitempty"`
	Justification string      `json:"justification,omitempty"`
}

// Advisory is a page about the vulnerability.
type Advisory struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// Analysis is the VEX part: what was decided about a suppressed finding.
type Analysis struct {
	State         string   `json:"state,omitempty"`
	Justification string   `json:"justification,omitempty"`
	Response      []string `json:"response,omitempty"`
	Detail        string   `json:"detail,omitempty"`
}

// Affect names the affected component and its version.
type Affect struct {
	Ref      string          `json:"ref"`
	Versions []AffectVersion `json:"versions,omitempty"`
}

// AffectVersion is one version and whether it is affected.
type AffectVersion struct {
	Version string `json:"version"`
	Status  string `json:"status"`
}

// maxVersionLen is the schema's limit on a version string.
const maxVersionLen = 1024

// vulnerabilities maps the scan's vulnerability findings, sorted by id and
// affected component. Findings of the same vulnerability in the same
// package (several advisories) are merged.
func (b *builder) vulnerabilities(scan *report.Scan) []Vulnerability {
	type key struct{ id, ref string }
	index := map[key]int{}
	var out []Vulnerability
	for i := range scan.Findings {
		f := &scan.Findings[i]
		if f.Rule.Kind != finding.Vulnerability {
			continue
		}
		ref := "pave:target"
		if p := f.Package; p != nil {
			if r, ok := b.refs[p.Key()]; ok {
				ref = r
			}
		}
		id := vulnID(f)
		k := key{id, ref}
		if j, ok := index[k]; ok {
			mergeVuln(&out[j], vulnerability(f, id, ref, scan))
			continue
		}
		index[k] = len(out)
		out = append(out, vulnerability(f, id, ref, scan))
	}
	slices.SortStableFunc(out, func(a, b Vulnerability) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.Affects[0].Ref, b.Affects[0].Ref))
	})
	return out
}

func vulnID(f *finding.Finding) string {
	if f.Vuln != nil && f.Vuln.ID != "" {
		return f.Vuln.ID
	}
	return cmpOr(f.Rule.ID, "unnamed")
}

func vulnerability(f *finding.Finding, id, ref string, scan *report.Scan) Vulnerability {
	v := Vulnerability{
		ID:          id,
		Source:      &VulnSource{Name: sourceName(id), URL: openvex.AdvisoryURL(id)},
		Description: f.Rule.Title,
	}
	a := openvex.Assess(f)
	x := f.Vuln
	if x != nil {
		v.Description = cmpOr(x.Summary, v.Description)
		for _, alias := range x.Aliases {
			if alias != id {
				v.References = append(v.References, VulnReference{ID: alias, Source: VulnSource{Name: sourceName(alias), URL: openvex.AdvisoryURL(alias)}})
			}
		}
		v.Ratings = ratings(f, scan)
		v.Advisories = advisories(x)
		v.Published = timestamp(x.Published)
		v.Updated = timestamp(x.Modified)
	}
	v.CWEs = cwes(f.Rule.Controls)
	if a.Status == openvex.Affected {
		v.Recommendation = a.Action
	}
	status := "affected"
	if f.Suppressed != nil {
		v.Analysis = analysis(f, a)
		if a.Status == openvex.NotAffected || a.Status == openvex.Fixed {
			status = "unaffected"
		}
	}
	aff := Affect{Ref: ref}
	if p := f.Package; p != nil && p.Version != "" && len(p.Version) <= maxVersionLen {
		aff.Versions = []AffectVersion{{Version: p.Version, Status: status}}
	}
	v.Affects = []Affect{aff}
	v.Properties = vulnProperties(f)
	return v
}

// mergeVuln adds what another finding of the same vulnerability in the
// same component knows: ratings, references and advisories not yet
// listed.
func mergeVuln(v *Vulnerability, w Vulnerability) {
	for _, r := range w.Ratings {
		if !slices.ContainsFunc(v.Ratings, func(s Rating) bool { return sameRating(s, r) }) {
			v.Ratings = append(v.Ratings, r)
		}
	}
	for _, r := range w.References {
		if !slices.ContainsFunc(v.References, func(s VulnReference) bool { return s.ID == r.ID }) {
			v.References = append(v.References, r)
		}
	}
	for _, a := range w.Advisories {
		if !slices.ContainsFunc(v.Advisories, func(s Advisory) bool { return s.URL == a.URL }) {
			v.Advisories = append(v.Advisories, a)
		}
	}
}

func sameRating(a, b Rating) bool {
	return a.Method == b.Method && a.Vector == b.Vector && a.Severity == b.Severity && *a.Source == *b.Source
}

// sourceName names the database an id comes from.
func sourceName(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	switch strings.ToUpper(prefix) {
	case "CVE":
		return "NVD"
	case "GHSA":
		return "GitHub Advisory Database"
	case "GO":
		return "Go Vulnerability Database"
	case "PYSEC":
		return "PyPI Advisory Database"
	case "RUSTSEC":
		return "RustSec Advisory Database"
	case "DSA", "DLA", "DTSA":
		return "Debian Security Tracker"
	}
	return "OSV"
}

// ratings: one per CVSS score, then the distribution's rating.
func ratings(f *finding.Finding, scan *report.Scan) []Rating {
	x := f.Vuln
	var out []Rating
	for _, s := range x.Scores {
		r := Rating{Source: &VulnSource{Name: cmpOr(s.Source, "unknown")}, Method: cvssMethod(s.Version), Vector: s.Vector}
		if s.Score >= 0 && s.Score <= 10 && !math.IsNaN(s.Score) {
			score := s.Score
			r.Score = &score
			r.Severity = cvssSeverity(s.Version, s.Score)
		}
		out = append(out, r)
	}
	if x.DistroSeverity != "" {
		sev := distroSeverity(x.DistroSeverity)
		if x.SeveritySource == "distro" {
			sev = cdxSeverity(f.Severity)
		}
		out = append(out, Rating{
			Source:        &VulnSource{Name: distroName(f, scan)},
			Severity:      sev,
			Method:        "other",
			Justification: "the distribution rates it " + x.DistroSeverity,
		})
	}
	if x.SeveritySource == "advisory" {
		out = append(out, Rating{Source: &VulnSource{Name: "advisory"}, Severity: cdxSeverity(f.Severity), Method: "other"})
	}
	return out
}

func cvssMethod(version string) string {
	switch version {
	case "2.0":
		return "CVSSv2"
	case "3.0":
		return "CVSSv3"
	case "3.1":
		return "CVSSv31"
	case "4.0":
		return "CVSSv4"
	}
	return "other"
}

// cvssSeverity is the qualitative rating of a score: v2 has low, medium
// and high (NVD's bands); v3 and v4 add none and critical.
func cvssSeverity(version string, s float64) string {
	switch {
	case version == "2.0" && s < 4:
		return "low"
	case version == "2.0" && s < 7:
		return "medium"
	case version == "2.0":
		return "high"
	case s == 0:
		return "none"
	case s < 4:
		return "low"
	case s < 7:
		return "medium"
	case s < 9:
		return "high"
	}
	return "critical"
}

func cdxSeverity(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info:
		return s.String()
	}
	return "unknown"
}

// distroSeverity maps a distribution's word to CycloneDX's: Debian's
// urgencies, Ubuntu's and Alpine's priorities, Red Hat's impacts.
func distroSeverity(s string) string {
	switch strings.ToLower(s) {
	case "critical":
		return "critical"
	case "high", "important":
		return "high"
	case "medium", "moderate":
		return "medium"
	case "low", "negligible", "unimportant":
		return "low"
	}
	return "unknown"
}

// distroName is the distribution that rated the package: the scan's, or
// the namespace of the package URL ("pkg:deb/debian/...").
func distroName(f *finding.Finding, scan *report.Scan) string {
	if scan.Distro != nil && scan.Distro.ID != "" {
		return scan.Distro.ID
	}
	if p := f.Package; p != nil {
		if _, rest, ok := strings.Cut(p.PURL, "/"); ok {
			if ns, _, ok := strings.Cut(rest, "/"); ok {
				return ns
			}
		}
		return string(p.Ecosystem)
	}
	return "distribution"
}

// advisories: the database records that matched, then the references.
// URLs that are not valid IRI references are left out.
func advisories(x *finding.Vuln) []Advisory {
	var out []Advisory
	seen := map[string]bool{}
	add := func(title, u string) {
		if u == "" || seen[u] || strings.ContainsAny(u, " \t\n\"<>\\^`{|}") {
			return
		}
		if _, err := url.Parse(u); err != nil {
			return
		}
		seen[u] = true
		out = append(out, Advisory{Title: title, URL: u})
	}
	for _, a := range x.Advisories {
		source, id, ok := strings.Cut(a, ":")
		if !ok {
			id, source = source, ""
		}
		u := openvex.AdvisoryURL(id)
		if source == "debian" {
			u = "https://security-tracker.debian.org/tracker/" + url.PathEscape(id)
		}
		add(id, u)
	}
	for _, r := range x.References {
		add("", r)
	}
	return out
}

func timestamp(t time.Time) string {
	if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// cwes are the numbers of the rule's CWE controls.
func cwes(cs []finding.Control) []int {
	var out []int
	for _, c := range cs {
		if !strings.EqualFold(c.Framework, "CWE") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(c.ID), "CWE-"))
		if err == nil && n > 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// toCycloneDX maps OpenVEX justifications to CycloneDX's (the inverse of
// openvex's crosswalk, choosing the closest label).
var toCycloneDX = map[string]string{
	"component_not_present":                             "code_not_present",
	"vulnerable_code_not_present":                       "code_not_present",
	"vulnerable_code_not_in_execute_path":               "code_not_reachable",
	"vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
	"inline_mitigations_already_exist":                  "protected_by_mitigating_control",
}

var cdxJustifications = []string{
	"code_not_present", "code_not_reachable", "requires_configuration", "requires_dependency",
	"requires_environment", "protected_by_compiler", "protected_at_runtime", "protected_at_perimeter",
	"protected_by_mitigating_control",
}

// analysis is the impact analysis of a suppressed finding, from the same
// assessment as the OpenVEX output: not_affected (or false_positive) with
// a justification; resolved; in_triage; or exploitable with the response
// when the suppression only accepts the risk.
func analysis(f *finding.Finding, a openvex.Assessment) *Analysis {
	out := &Analysis{}
	switch a.Status {
	case openvex.NotAffected:
		out.State = "not_affected"
		if a.State == "false_positive" {
			out.State = "false_positive"
		}
		if slices.Contains(cdxJustifications, a.Given) {
			out.Justification = a.Given
		} else {
			out.Justification = toCycloneDX[a.Justification]
		}
		out.Detail = joinDetail(a.Impact, a.Notes)
	case openvex.Fixed:
		out.State = "resolved"
		if a.State == "resolved_with_pedigree" {
			out.State = a.State
		}
		out.Detail = a.Notes
	case openvex.UnderInvestigation:
		out.State = "in_triage"
		out.Detail = a.Notes
	default:
		out.State = "exploitable"
		switch {
		case len(f.Signals.FixedIn) > 0:
			out.Response = []string{"update"}
		case f.Vuln != nil && f.Vuln.Status == "wont-fix":
			out.Response = []string{"will_not_fix"}
		default:
			out.Response = []string{"can_not_fix"}
		}
		out.Detail = a.Notes
	}
	return out
}

func joinDetail(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "; ")
}

// vulnProperties carry what CycloneDX has no field for.
func vulnProperties(f *finding.Finding) []Property {
	var ps []Property
	ps = appendProp(ps, "pave:severity", f.Severity.String())
	if x := f.Vuln; x != nil {
		ps = appendProp(ps, "pave:severitySource", x.SeveritySource)
		ps = appendProp(ps, "pave:status", x.Status)
		ps = appendProp(ps, "pave:kev:dateAdded", x.KEVDateAdded)
		if x.EPSSPercentile > 0 {
			ps = appendProp(ps, "pave:epss:percentile", strconv.FormatFloat(x.EPSSPercentile, 'f', -1, 64))
		}
		for _, a := range x.Advisories {
			ps = appendProp(ps, "pave:advisory", a)
		}
	}
	for _, v := range f.Signals.FixedIn {
		ps = appendProp(ps, "pave:fixedIn", v)
	}
	if f.Signals.KEV {
		ps = appendProp(ps, "pave:kev", "true")
	}
	if f.Signals.EPSS > 0 {
		ps = appendProp(ps, "pave:epss", strconv.FormatFloat(f.Signals.EPSS, 'f', -1, 64))
	}
	if p := f.Package; p != nil {
		ps = appendProp(ps, "pave:ownedBy", p.OwnedBy)
	}
	ps = appendProp(ps, "pave:location", location(f))
	if s := f.Suppressed; s != nil {
		ps = appendProp(ps, "pave:suppressed:kind", s.Kind)
		ps = appendProp(ps, "pave:suppressed:reason", s.Reason)
		ps = appendProp(ps, "pave:suppressed:source", s.Source)
		ps = appendProp(ps, "pave:suppressed:expires", s.Expires)
	}
	fp := f.Fingerprint
	if fp == "" {
		fp = f.ComputeFingerprint()
	}
	ps = appendProp(ps, "pave:fingerprint", fp)
	return ps
}

// location is where the finding is, "path[:line]".
func location(f *finding.Finding) string {
	l := f.Location
	if l.Path == "" {
		return ""
	}
	if l.StartLine > 0 {
		return l.Path + ":" + strconv.Itoa(l.StartLine)
	}
	return l.Path
}

// databaseProperties record the vulnerability database a scan used.
func databaseProperties(ps []Property, db *report.Database) []Property {
	if db == nil {
		return ps
	}
	ps = appendProp(ps, "pave:db:schema", db.Schema)
	ps = appendProp(ps, "pave:db:digest", db.Digest)
	if !db.Built.IsZero() {
		ps = appendProp(ps, "pave:db:built", db.Built.UTC().Format(time.RFC3339))
	}
	ps = appendProp(ps, "pave:db:signer", db.Signer)
	return appendProp(ps, "pave:db:verified", strconv.FormatBool(db.Verified))
}
