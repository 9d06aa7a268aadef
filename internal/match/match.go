// Package match finds the vulnerabilities of packages: it looks each
// package up in the vulnerability database, evaluates every advisory's
// affected ranges with the ecosystem's version ordering, joins the
// advisories that describe the same vulnerability (aliases, a distribution
// advisory about one CVE), and turns each group into one finding with its
// severity, fixed versions, KEV and EPSS.
package match

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/cvss"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/vercmp"
	"github.com/pavesec/pave/internal/vulndb"
)

// Source is what the matcher reads: the database's lookups.
type Source interface {
	Advisories(ecosystem, name string) ([]vulndb.Advisory, error)
	CVE(id string) (*vulndb.CVEInfo, error)
}

// Input is one matching job.
type Input struct {
	Packages []inventory.Package
	Distro   *inventory.Distro
	Target   finding.Target
}

// Result holds the findings and what could not be decided.
type Result struct {
	Findings []finding.Finding
	// Undecided lists packages whose version is not valid in their
	// ecosystem's ordering while advisories exist for them: pave does not
	// guess, it says so.
	Undecided []string
	// Matched counts packages that were looked up.
	Matched int
}

// hit is one advisory that affects one package.
type hit struct {
	adv     vulndb.Advisory
	fixed   []string
	sev     string // distribution severity word
	wontFix bool
	// folded marks a multi-CVE advisory added to the group of one of its
	// CVEs: it names the group, it does not add its other CVEs to it.
	folded bool
}

// matcher holds what one Match call computes once: sorted range events,
// parsed CVSS vectors, CVE enrichment.
type matcher struct {
	src    Source
	ranges rangeCache
	scores map[string]*finding.Score // by vector as published; nil when unparseable
	cves   map[string]*vulndb.CVEInfo
	words  map[*osv.Record]string // database_specific severity
}

// Match finds the vulnerabilities of in.Packages.
func Match(ctx context.Context, src Source, in Input) (*Result, error) {
	m := &matcher{src: src, ranges: rangeCache{}, scores: map[string]*finding.Score{}, cves: map[string]*vulndb.CVEInfo{}, words: map[*osv.Record]string{}}
	res := &Result{}
	// Which CVEs the distribution's own data judged, per OS package name:
	// a language package installed by that OS package is then judged by
	// the distribution, which backports fixes without changing upstream
	// versions.
	judged := map[string]map[string]bool{}
	var lang []int
	for i := range in.Packages {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p := &in.Packages[i]
		if !p.Ecosystem.IsOS() {
			lang = append(lang, i)
			continue
		}
		fs, seen, err := m.matchOne(p, in, res)
		if err != nil {
			return nil, err
		}
		judged[string(p.Ecosystem)+":"+p.Name] = seen
		res.Findings = append(res.Findings, fs...)
	}
	for _, i := range lang {
		p := &in.Packages[i]
		fs, _, err := m.matchOne(p, in, res)
		if err != nil {
			return nil, err
		}
		if seen := judged[p.OwnedBy]; p.OwnedBy != "" && seen != nil {
			fs = slices.DeleteFunc(fs, func(f finding.Finding) bool {
				for _, id := range append([]string{f.Vuln.ID}, f.Vuln.Aliases...) {
					if seen[id] {
						return true
					}
				}
				return false
			})
		}
		res.Findings = append(res.Findings, fs...)
	}
	slices.SortFunc(res.Findings, compareFindings)
	return res, nil
}

func compareFindings(a, b finding.Finding) int {
	return cmp.Or(
		cmp.Compare(b.Severity, a.Severity),
		cmp.Compare(a.Package.Name, b.Package.Name),
		cmp.Compare(a.Package.Version, b.Package.Version),
		cmp.Compare(a.Rule.ID, b.Rule.ID),
		cmp.Compare(a.Location.Path, b.Location.Path),
	)
}

// matchOne returns p's findings, and for OS packages the set of ids and
// CVEs the distribution's data judged for it (affected or not).
func (m *matcher) matchOne(p *inventory.Package, in Input, res *Result) ([]finding.Finding, map[string]bool, error) {
	q, ok := queryFor(p, in.Distro)
	if !ok {
		return nil, nil, nil
	}
	res.Matched++
	advs, err := m.src.Advisories(q.ecosystem, q.name)
	if err != nil {
		return nil, nil, fmt.Errorf("looking up %s %s: %w", q.ecosystem, q.name, err)
	}
	if len(advs) == 0 {
		return nil, nil, nil
	}
	ecoCmp, cmpErr := vercmp.For(q.ecosystem)
	if cmpErr == nil && ecoCmp.Valid(q.version) != nil {
		res.Undecided = append(res.Undecided, fmt.Sprintf("%s %s@%s: %v", q.ecosystem, q.name, q.version, ecoCmp.Valid(q.version)))
	}
	judged := map[string]bool{}
	var hits []hit
	for _, a := range advs {
		r := a.Record
		if r.Withdrawn != nil {
			continue
		}
		h := hit{adv: a}
		any, decided := false, false
		for j := range r.Affected {
			af := &r.Affected[j]
			if !ecosystemMatches(q, af.Package.Ecosystem) || vulndb.NormalizeName(q.ecosystem, af.Package.Name) != vulndb.NormalizeName(q.ecosystem, q.name) {
				continue
			}
			v := evaluateWith(af, q.ecosystem, q.version, m.ranges)
			if !v.decided {
				continue
			}
			decided = true
			if !v.affected {
				continue
			}
			any = true
			h.fixed = append(h.fixed, v.fixed...)
			if q.distro {
				sev, wont := ecosystemSpecific(af.EcosystemSpecific)
				if sev != "" {
					h.sev = sev
				}
				h.wontFix = h.wontFix || wont
			}
		}
		if decided && q.distro {
			judged[r.ID] = true
			for _, c := range r.CVEs(true) {
				judged[c] = true
			}
		}
		if any {
			hits = append(hits, h)
		}
	}
	var out []finding.Finding
	for _, g := range group(hits, q.distro) {
		f, err := m.build(p, q, g, in.Target)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, f)
	}
	return out, judged, nil
}

// ecosystemSpecific reads pave's distribution conventions from an
// Affected entry: {"severity": "high"} and markers that the distribution
// will not fix ("nodsa", "end-of-life", "wont-fix").
func ecosystemSpecific(raw json.RawMessage) (sev string, wontFix bool) {
	if len(raw) == 0 {
		return "", false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return "", false
	}
	if s, ok := m["severity"].(string); ok {
		sev = strings.ToLower(s)
	} else if s, ok := m["urgency"].(string); ok {
		sev = strings.ToLower(strings.TrimRight(s, "*"))
	}
	for _, k := range []string{"nodsa", "no-dsa", "end-of-life", "wont-fix", "ignored"} {
		if v, ok := m[k]; ok && v != nil && v != false && v != "" {
			wontFix = true
		}
	}
	return sev, wontFix
}

// group joins hits that describe the same vulnerability: ids and aliases
// are the same vulnerability; an advisory about exactly one CVE (a DSA or
// ALSA naming it as upstream or related) joins that CVE. An advisory about
// several CVEs is folded into their groups when every one of them is
// reported on its own, and is its own finding otherwise.
func group(hits []hit, distro bool) [][]hit {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[rb] = ra
		}
	}
	owner := map[string]int{}
	multi := map[int][]string{}
	for i, h := range hits {
		r := h.adv.Record
		ids := append([]string{r.ID}, r.Aliases...)
		if cves := r.CVEs(distro); len(cves) == 1 {
			ids = append(ids, cves[0])
		} else if len(cves) > 1 && !strings.HasPrefix(r.ID, "CVE-") {
			multi[i] = cves
		}
		for _, id := range ids {
			if j, ok := owner[id]; ok {
				union(j, i)
			} else {
				owner[id] = i
			}
		}
	}
	// Fold multi-CVE advisories whose every CVE has its own group.
	folded := map[int]bool{}
	for i, cves := range multi {
		all := true
		for _, c := range cves {
			j, ok := owner[c]
			if !ok || find(j) == find(i) {
				all = false
				break
			}
		}
		if all {
			folded[i] = true
		}
	}
	groups := map[int][]hit{}
	var order []int
	for i := range hits {
		if folded[i] {
			continue
		}
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], hits[i])
	}
	// A folded advisory is named by each group it fixes.
	for i := range folded {
		for _, c := range multi[i] {
			r := find(owner[c])
			if _, ok := groups[r]; ok {
				h := hits[i]
				h.folded = true
				groups[r] = append(groups[r], h)
			}
		}
	}
	out := make([][]hit, 0, len(order))
	for _, r := range order {
		out = append(out, groups[r])
	}
	return out
}

// build turns one group of hits into a finding.
func (m *matcher) build(p *inventory.Package, q query, g []hit, target finding.Target) (finding.Finding, error) {
	ids := map[string]bool{}
	var cves []string
	v := &finding.Vuln{}
	var fixed []string
	var published, modified time.Time
	wontFix := false
	var word string // severity word from an advisory (GHSA "MODERATE")
	refs := map[string]bool{}
	for _, h := range g {
		r := h.adv.Record
		ids[r.ID] = true
		for _, a := range r.Aliases {
			ids[a] = true
		}
		v.Advisories = append(v.Advisories, h.adv.Source+":"+r.ID)
		if h.folded {
			continue
		}
		for _, c := range r.CVEs(q.distro) {
			if !slices.Contains(cves, c) {
				cves = append(cves, c)
			}
		}
		v.Advisories = append(v.Advisories, h.adv.Source+":"+r.ID)
		if v.Summary == "" {
			v.Summary = summary(r)
		}
		fixed = append(fixed, h.fixed...)
		wontFix = wontFix || h.wontFix
		if h.sev != "" && v.DistroSeverity == "" {
			v.DistroSeverity = h.sev
		}
		if r.Published != nil && (published.IsZero() || r.Published.Before(published)) {
			published = *r.Published
		}
		if r.Modified.After(modified) {
			modified = r.Modified
		}
		m.addScores(v, r.Severity, r.ID)
		for _, a := range r.Affected {
			m.addScores(v, a.Severity, r.ID)
		}
		w, ok := m.words[r]
		if !ok {
			w = databaseSeverity(r.DatabaseSpecific)
			m.words[r] = w
		}
		if w != "" && word == "" {
			word = w
		}
		for _, ref := range r.References {
			if len(refs) < 8 && (ref.Type == "ADVISORY" || ref.Type == "WEB" || ref.Type == "FIX") {
				refs[ref.URL] = true
			}
		}
	}
	slices.Sort(cves)
	for _, c := range cves {
		ids[c] = true
	}
	// The primary id: the CVE when the group has one, else a GHSA, else
	// the first id.
	all := make([]string, 0, len(ids))
	for id := range ids {
		all = append(all, id)
	}
	slices.Sort(all)
	v.ID = all[0]
	switch {
	case len(cves) == 1:
		v.ID = cves[0]
	case len(cves) > 1:
		// An advisory about several CVEs reported on its own keeps its
		// name, unless a record of the group is itself a CVE.
		v.ID = g[0].adv.Record.ID
		for _, h := range g {
			if strings.HasPrefix(h.adv.Record.ID, "CVE-") {
				v.ID = h.adv.Record.ID
				break
			}
		}
	default:
		if i := slices.IndexFunc(all, func(s string) bool { return strings.HasPrefix(s, "GHSA-") }); i >= 0 {
			v.ID = all[i]
		}
	}
	for _, id := range all {
		if id != v.ID {
			v.Aliases = append(v.Aliases, id)
		}
	}
	slices.Sort(v.Advisories)
	v.Advisories = slices.Compact(v.Advisories)
	v.Published, v.Modified = published, modified
	for u := range refs {
		v.References = append(v.References, u)
	}
	slices.Sort(v.References)

	var sig finding.Signals
	for _, c := range cves {
		info, ok := m.cves[c]
		if !ok {
			var err error
			if info, err = m.src.CVE(c); err != nil {
				return finding.Finding{}, err
			}
			m.cves[c] = info
		}
		if info == nil {
			continue
		}
		for _, s := range info.Scores {
			m.addScores(v, s.Severity, s.Source)
		}
		if info.KEV != nil && v.KEVDateAdded == "" {
			sig.KEV = true
			v.KEVDateAdded = info.KEV.DateAdded
		}
		if info.EPSS != nil && info.EPSS.Score > sig.EPSS {
			sig.EPSS = info.EPSS.Score
			v.EPSSPercentile = info.EPSS.Percentile
		}
	}
	slices.SortStableFunc(v.Scores, func(a, b finding.Score) int { return strings.Compare(b.Version, a.Version) })

	fixed = sortVersions(q.ecosystem, fixed)
	sig.FixedIn = fixed
	switch {
	case wontFix && len(fixed) == 0:
		v.Status = "wont-fix"
	case len(fixed) == 0:
		v.Status = "unfixed"
	default:
		v.Status = "fixed"
	}
	sev := severity(v, word, q.distro)

	pkg := *p
	pkg.Files = nil
	f := finding.Finding{
		Rule: finding.Rule{
			ID:          v.ID,
			Kind:        finding.Vulnerability,
			Title:       v.Summary,
			Severity:    sev,
			Remediation: remediation(p, fixed, v.Status),
		},
		Severity: sev,
		Target:   target,
		Package:  &pkg,
		Signals:  sig,
		Vuln:     v,
		Message:  fmt.Sprintf("%s %s is affected by %s", p.Name, p.Version, v.ID),
	}
	if f.Rule.Title == "" {
		f.Rule.Title = v.ID + " in " + p.Name
	}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = finding.Location{Path: l.Path, StartLine: l.Line, Layer: l.Layer}
	}
	f.Fingerprint = f.ComputeFingerprint()
	return f, nil
}

func summary(r *osv.Record) string {
	s := r.Summary
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(r.Details), "\n")
	}
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// addScores records CVSS vectors, computing each score; unparseable
// vectors are skipped (the record still matches).
func (m *matcher) addScores(v *finding.Vuln, sevs []osv.Severity, source string) {
	for _, s := range sevs {
		if !strings.HasPrefix(s.Type, "CVSS_") {
			continue
		}
		sc, ok := m.scores[s.Score]
		if !ok {
			if vec, err := cvss.Parse(s.Score); err == nil {
				sc = &finding.Score{Version: string(vec.Version()), Vector: vec.String(), Score: vec.Score()}
			}
			m.scores[s.Score] = sc
		}
		if sc == nil || slices.ContainsFunc(v.Scores, func(x finding.Score) bool { return x.Vector == sc.Vector }) {
			continue
		}
		x := *sc
		x.Source = source
		v.Scores = append(v.Scores, x)
	}
}

// databaseSeverity reads a GHSA-style {"severity": "MODERATE"}.
func databaseSeverity(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var m struct {
		Severity string `json:"severity"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	return strings.ToLower(m.Severity)
}

// severity picks a finding's severity: for OS packages the
// distribution's rating when it gives one; otherwise the score of the
// newest CVSS version present (the highest score among vectors of that
// version); otherwise the advisory's own word; otherwise unknown.
func severity(v *finding.Vuln, word string, distro bool) finding.Severity {
	if distro && v.DistroSeverity != "" {
		if s, ok := wordSeverity(v.DistroSeverity); ok {
			v.SeveritySource = "distro"
			return s
		}
	}
	if len(v.Scores) > 0 {
		top := v.Scores[0].Version
		best := -1.0
		for _, s := range v.Scores {
			if s.Version == top && s.Score > best {
				best = s.Score
			}
		}
		v.SeveritySource = "cvss-" + top
		s, _ := wordSeverity(cvss.Rating(cvss.Version(top), best))
		return s
	}
	if s, ok := wordSeverity(word); ok && word != "" {
		v.SeveritySource = "advisory"
		return s
	}
	v.SeveritySource = "none"
	return finding.Unknown
}

func wordSeverity(w string) (finding.Severity, bool) {
	switch strings.ToLower(w) {
	case "critical":
		return finding.Critical, true
	case "high", "important":
		return finding.High, true
	case "medium", "moderate":
		return finding.Medium, true
	case "low":
		return finding.Low, true
	case "negligible", "unimportant", "none":
		return finding.Info, true
	}
	return finding.Unknown, false
}

func remediation(p *inventory.Package, fixed []string, status string) string {
	what := p.Name
	if p.OwnedBy != "" {
		what = p.OwnedBy + " (the OS package that installed " + p.Name + ")"
	}
	switch status {
	case "fixed":
		return fmt.Sprintf("Upgrade %s to %s or later.", what, fixed[0])
	case "wont-fix":
		return fmt.Sprintf("The publisher will not fix %s in this release; upgrade the release or replace the package.", p.Name)
	}
	return fmt.Sprintf("No fixed version of %s is published yet; watch the advisory.", p.Name)
}

// sortVersions sorts and deduplicates fixed versions in the ecosystem's
// order.
func sortVersions(eco string, vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	c, err := vercmp.For(eco)
	if err != nil {
		slices.Sort(vs)
	} else {
		slices.SortFunc(vs, c.Compare)
	}
	return slices.Compact(vs)
}
