package sarif

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/report/openvex"
)

// rule describes one rule id from all the findings that carry it.
func rule(fs []*finding.Finding) ReportingDescriptor {
	f := fs[0]
	sev := finding.Unknown
	for _, g := range fs {
		sev = max(sev, g.Severity, g.Rule.Severity)
	}
	t := title(f)
	full := t
	if v := f.Vuln; v != nil && v.Summary != "" {
		full = v.Summary
	}
	r := ReportingDescriptor{
		ID:                   ruleID(f),
		ShortDescription:     &Message{Text: t},
		FullDescription:      &Message{Text: full},
		HelpURI:              helpURI(f),
		Help:                 help(fs),
		DefaultConfiguration: &ReportingConfiguration{Level: level(sev)},
	}
	props := map[string]any{"tags": tags(fs)}
	if s, ok := securitySeverity(fs); ok {
		props["security-severity"] = s
	}
	r.Properties = props
	return r
}

// securitySeverity is GitHub's "security-severity" for a rule: the
// highest over its findings of the finding's score. A finding's score is
// its highest CVSS base score when that lies in the band of the finding's
// severity (GitHub: critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low
// 0.1–3.9), else a value inside that band: the distribution may rate a
// CVE lower than its CVSS score, and GitHub should show pave's severity.
// Findings of unknown or info severity have none; GitHub then uses the
// result's level.
func securitySeverity(fs []*finding.Finding) (string, bool) {
	best, ok := 0.0, false
	for _, f := range fs {
		lo, hi, mid := band(f.Severity)
		if mid == 0 {
			continue
		}
		s := mid
		if f.Vuln != nil {
			top := -1.0
			for _, sc := range f.Vuln.Scores {
				top = max(top, sc.Score)
			}
			if top >= lo && top <= hi {
				s = top
			}
		}
		best, ok = max(best, s), true
	}
	return strconv.FormatFloat(best, 'f', 1, 64), ok
}

// band is GitHub's score range for a severity and the value pave uses
// when no CVSS score falls inside it; mid is 0 for unknown and info.
func band(s finding.Severity) (lo, hi, mid float64) {
	switch s {
	case finding.Critical:
		return 9.0, 10.0, 9.5
	case finding.High:
		return 7.0, 8.9, 8.0
	case finding.Medium:
		return 4.0, 6.9, 5.5
	case finding.Low:
		return 0.1, 3.9, 2.0
	}
	return 0, 0, 0
}

// tags: the kind, "security", CWE tags in GitHub's form
// ("external/cwe/cwe-079") from controls of framework CWE, then the other
// controls as "framework/id".
func tags(fs []*finding.Finding) []string {
	f := fs[0]
	out := []string{cmpOr(string(f.Rule.Kind), "finding"), "security"}
	var cwes, others []string
	for _, c := range f.Rule.Controls {
		if isCWE(c) {
			n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(c.ID), "CWE-"))
			if err == nil && n >= 0 {
				cwes = append(cwes, fmt.Sprintf("external/cwe/cwe-%03d", n))
			}
			continue
		}
		others = append(others, c.Framework+"/"+c.ID)
	}
	slices.Sort(cwes)
	return append(append(out, slices.Compact(cwes)...), others...)
}

// helpURI is the advisory page of a vulnerability, or pave's rule
// catalogue entry for its own rules.
func helpURI(f *finding.Finding) string {
	if f.Rule.Kind == finding.Vulnerability || f.Vuln != nil {
		return openvex.AdvisoryURL(ruleID(f))
	}
	return InformationURI + "/blob/main/docs/rules.md#" + strings.ToLower(ruleID(f))
}

// help is the rule's remediation in plain text and Markdown. For a
// vulnerability it lists every affected package with its installed and
// fixed versions, the aliases, the CVSS vectors and the references.
func help(fs []*finding.Finding) *Message {
	f := fs[0]
	var text, md strings.Builder
	id := ruleID(f)
	fmt.Fprintf(&text, "%s: %s\n", id, title(f))
	fmt.Fprintf(&md, "**%s**: %s\n\n", mdEscape(id), mdEscape(title(f)))
	if f.Rule.Kind != finding.Vulnerability && f.Vuln == nil {
		if r := f.Rule.Remediation; r != "" {
			fmt.Fprintf(&text, "Remediation: %s\n", r)
			fmt.Fprintf(&md, "**Remediation:** %s\n\n", mdEscape(r))
		}
		if cs := slices.DeleteFunc(slices.Clone(f.Rule.Controls), isCWE); len(cs) > 0 {
			c := strings.Join(controlNames(cs), ", ")
			fmt.Fprintf(&text, "Controls: %s\n", c)
			fmt.Fprintf(&md, "**Controls:** %s\n", mdEscape(c))
		}
		return &Message{Text: strings.TrimSpace(text.String()), Markdown: strings.TrimSpace(md.String())}
	}

	md.WriteString("| Severity | Package | Installed | Fixed | Status | Location |\n")
	md.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for i, g := range fs {
		if i == maxHelpRows {
			fmt.Fprintf(&md, "\n… and %d more\n", len(fs)-i)
			break
		}
		name, version, where := "", "", g.Location.Path
		if p := g.Package; p != nil {
			name, version = p.Name, p.Version
			if where == "" && len(p.Locations) > 0 {
				where = p.Locations[0].Path
			}
		}
		status := ""
		if g.Vuln != nil {
			status = g.Vuln.Status
		}
		if s := g.Suppressed; s != nil {
			status = "suppressed (" + s.Kind + ")"
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s |\n", g.Severity, mdEscape(name), mdEscape(version),
			mdEscape(strings.Join(g.Signals.FixedIn, ", ")), mdEscape(status), mdEscape(where))
		if name != "" {
			fmt.Fprintf(&text, "- %s %s: %s\n", name, version, openvex.Remediation(g))
		}
	}
	md.WriteString("\n")
	seen := map[string]bool{}
	for _, g := range fs {
		if r := openvex.Remediation(g); r != "" && !seen[r] && len(seen) < maxHelpRows {
			seen[r] = true
			fmt.Fprintf(&md, "- %s\n", mdEscape(r))
		}
	}
	if v := f.Vuln; v != nil {
		if len(v.Aliases) > 0 {
			a := strings.Join(v.Aliases, ", ")
			fmt.Fprintf(&text, "Aliases: %s\n", a)
			fmt.Fprintf(&md, "\n**Aliases:** %s\n", mdEscape(a))
		}
		for _, s := range v.Scores {
			line := fmt.Sprintf("CVSS %s %.1f %s", s.Version, s.Score, s.Vector)
			if s.Source != "" {
				line += " (" + s.Source + ")"
			}
			text.WriteString(line + "\n")
			fmt.Fprintf(&md, "\n**CVSS %s:** %.1f `%s`", mdEscape(s.Version), s.Score, strings.ReplaceAll(s.Vector, "`", ""))
			if s.Source != "" {
				fmt.Fprintf(&md, " (%s)", mdEscape(s.Source))
			}
			md.WriteString("\n")
		}
		if v.DistroSeverity != "" {
			fmt.Fprintf(&text, "Distribution rating: %s\n", v.DistroSeverity)
			fmt.Fprintf(&md, "\n**Distribution rating:** %s\n", mdEscape(v.DistroSeverity))
		}
		if len(v.References) > 0 {
			text.WriteString("References:\n")
			md.WriteString("\n**References**\n\n")
			for _, r := range v.References {
				fmt.Fprintf(&text, "- %s\n", r)
				fmt.Fprintf(&md, "- <%s>\n", strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20").Replace(r))
			}
		}
	}
	return &Message{Text: strings.TrimSpace(text.String()), Markdown: strings.TrimSpace(md.String())}
}

// mdEscape keeps text from hostile names literal in Markdown: it
// backslash-escapes Markdown's punctuation and turns line breaks into
// spaces, so a table row stays one row.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_{}[]()<>#+!|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isCWE(c finding.Control) bool { return strings.EqualFold(c.Framework, "CWE") }
