package all

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

// Rule is a catalogue entry: a rule and the check family that reports it.
type Rule struct {
	finding.Rule
	Family string `json:"family"`
	// Enforce marks a runtime rule whose matching process
	// `pave sensor --enforce` kills.
	Enforce bool `json:"enforce,omitempty"`
}

// Catalogue returns every rule of every check and of the runtime sensor,
// sorted by id. It fails only when the built-in runtime rules do not load.
func Catalogue(ctx context.Context) ([]Rule, error) {
	out, err := RuntimeRules(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range FileChecks(Options{}) {
		for _, r := range c.Rules() {
			out = append(out, Rule{Rule: r, Family: c.Name()})
		}
	}
	for _, c := range ImageChecks(Options{}) {
		for _, r := range c.Rules() {
			out = append(out, Rule{Rule: r, Family: c.Name()})
		}
	}
	slices.SortFunc(out, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// controls renders the rule's controls of one framework, "4.1, 4.2".
func controls(r finding.Rule, framework string) string {
	var ids []string
	for _, c := range r.Controls {
		if c.Framework == framework {
			ids = append(ids, c.ID)
		}
	}
	return strings.Join(ids, ", ")
}

// Markdown renders the catalogue as docs/rules.md: a summary table per
// family, then every rule with its remediation.
func Markdown(rules []Rule) string {
	var b strings.Builder
	b.WriteString("# Rules\n\n")
	b.WriteString("Generated from the rules' metadata by `go test ./internal/check/all -update`; a test fails when this file is out of date. `pave rules` prints the same catalogue.\n\n")
	fmt.Fprintf(&b, "%d rules. Every rule names the NIST SP 800-190 countermeasure it serves; where they apply, the CIS Docker Benchmark (v1.6.0) and CIS Kubernetes Benchmark (v1.9) recommendations, the OWASP Kubernetes Top 10 (2022), the OWASP Top 10 CI/CD Security Risks, the Pod Security Standards level, and CWE.\n\n", len(rules))
	families := []string{}
	for _, r := range rules {
		if !slices.Contains(families, r.Family) {
			families = append(families, r.Family)
		}
	}
	slices.Sort(families)
	frameworks := []struct{ key, title string }{
		{check.NIST800190, "NIST 800-190"}, {check.CISDocker, "CIS Docker"}, {check.CISK8s, "CIS K8s"},
		{check.OWASPK8s, "OWASP K8s"}, {check.OWASPCICD, "OWASP CI/CD"}, {check.PSS, "PSS"}, {check.CWE, "CWE"},
	}
	for _, fam := range families {
		fmt.Fprintf(&b, "## %s\n\n", fam)
		if intro := familyIntro(fam); intro != "" {
			b.WriteString(intro + "\n\n")
		}
		enforce := slices.ContainsFunc(rules, func(r Rule) bool { return r.Family == fam && r.Enforce })
		var used []struct{ key, title string }
		for _, fw := range frameworks {
			for _, r := range rules {
				if r.Family == fam && controls(r.Rule, fw.key) != "" {
					used = append(used, fw)
					break
				}
			}
		}
		b.WriteString("| id | severity | title |")
		for _, fw := range used {
			b.WriteString(" " + fw.title + " |")
		}
		if enforce {
			b.WriteString(" enforce |")
		}
		b.WriteString("\n|---|---|---|")
		for range used {
			b.WriteString("---|")
		}
		if enforce {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, r := range rules {
			if r.Family != fam {
				continue
			}
			fmt.Fprintf(&b, "| <a id=\"%s\"></a>%s | %s | %s |", strings.ToLower(r.ID), r.ID, r.Severity, escape(r.Title))
			for _, fw := range used {
				b.WriteString(" " + controls(r.Rule, fw.key) + " |")
			}
			switch {
			case r.Enforce:
				b.WriteString(" yes |")
			case enforce:
				b.WriteString("  |")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		for _, r := range rules {
			if r.Family != fam {
				continue
			}
			fmt.Fprintf(&b, "### %s: %s\n\n%s\n\n", r.ID, r.Title, strings.TrimSpace(r.Remediation))
			if r.Enforce {
				b.WriteString("Enforcing: `pave sensor --enforce` kills the matching process.\n\n")
			}
		}
	}
	return b.String()
}

// familyIntro says, under a family's heading, where its rules come from
// when that is not a scan.
func familyIntro(family string) string {
	if family != Runtime {
		return ""
	}
	return "Reported by `pave sensor` on running containers: the built-in rules of its Falco-format rule engine " +
		"(docs/sensor-rules.md; rules files passed with `--rules` add their own) and the baseline drift rules " +
		"(docs/sensor-baseline.md). A rule marked enforce is one whose matching process `pave sensor --enforce` kills."
}

func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
