package openvex

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// The OpenVEX statuses.
const (
	Affected           = "affected"
	NotAffected        = "not_affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Justifications are the OpenVEX labels for why a product is not
// affected.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// fromCycloneDX maps CycloneDX analysis justifications, which a
// suppression read from a CycloneDX VEX carries, to OpenVEX labels
// (after CISA's "Minimum Requirements for VEX" crosswalk).
var fromCycloneDX = map[string]string{
	"code_not_present":                "vulnerable_code_not_present",
	"code_not_reachable":              "vulnerable_code_not_in_execute_path",
	"requires_configuration":          "vulnerable_code_cannot_be_controlled_by_adversary",
	"requires_dependency":             "component_not_present",
	"requires_environment":            "vulnerable_code_cannot_be_controlled_by_adversary",
	"protected_by_compiler":           "inline_mitigations_already_exist",
	"protected_at_runtime":            "inline_mitigations_already_exist",
	"protected_at_perimeter":          "inline_mitigations_already_exist",
	"protected_by_mitigating_control": "inline_mitigations_already_exist",
}

// states are the VEX status words a suppression reason may start with
// (OpenVEX statuses and CycloneDX analysis states), mapped to OpenVEX.
var states = map[string]string{
	"not_affected":           NotAffected,
	"false_positive":         NotAffected,
	"fixed":                  Fixed,
	"resolved":               Fixed,
	"resolved_with_pedigree": Fixed,
	"affected":               Affected,
	"exploitable":            Affected,
	"under_investigation":    UnderInvestigation,
	"in_triage":              UnderInvestigation,
}

// Assessment is what pave states about a vulnerability finding, in
// OpenVEX terms.
type Assessment struct {
	// Status is affected, not_affected, fixed or under_investigation.
	Status string
	// Justification is the OpenVEX label of a not_affected status, when
	// the suppression gave one; Given is the label as the suppression
	// spelled it (a CycloneDX justification stays as written there), and
	// State the VEX state word it started with, if any.
	Justification, Given, State string
	// Impact says why the product is not affected, in words.
	Impact string
	// Action says what to do about an affected product: the fix.
	Action string
	// Notes say how the status was decided: which VEX document or
	// exception, until when.
	Notes string
}

// Assess decides a finding's status. Unsuppressed findings are affected,
// with the fix as the action. A suppression's Reason is read as pave's
// policy writes it, "[state: ][justification: ]free text": a VEX
// suppression is not_affected (or fixed, when its state says so) with the
// justification, or the text as the impact statement; an exception whose
// reason starts with a justification is not_affected too; any other
// exception, and --ignore-unfixed, leave the finding affected: accepting a
// risk is not being unaffected.
func Assess(f *finding.Finding) Assessment {
	a := Assessment{Status: Affected, Action: Remediation(f)}
	s := f.Suppressed
	if s == nil {
		return a
	}
	state, given, rest := parseReason(s.Reason)
	a.State = state
	just := given
	if j, ok := fromCycloneDX[given]; ok {
		just = j
	}
	switch s.Kind {
	case "vex":
		a.Notes = "VEX statement in " + cmp.Or(s.Source, "an unnamed document")
		status := cmp.Or(states[state], NotAffected)
		if state == "false_positive" && rest == "" {
			rest = "false positive"
		}
		a.setStatus(status, just, given, rest)
	case "exception":
		a.Notes = exceptionNote(s)
		if just != "" && (state == "" || states[state] == NotAffected) {
			a.setStatus(NotAffected, just, given, rest)
			break
		}
		a.Notes += ": " + s.Reason
	case "unfixed":
		a.Notes = "suppressed by --ignore-unfixed"
		if s.Reason != "" {
			a.Notes += ": " + s.Reason
		}
	default:
		a.Notes = strings.TrimSuffix(fmt.Sprintf("suppressed (%s) by %s: %s", cmp.Or(s.Kind, "unknown"), cmp.Or(s.Source, "an unnamed source"), s.Reason), ": ")
	}
	return a
}

func (a *Assessment) setStatus(status, just, given, rest string) {
	a.Status = status
	switch status {
	case NotAffected:
		a.Action = ""
		a.Justification, a.Given, a.Impact = just, given, rest
		if just == "" && rest == "" {
			// The spec needs one of the two.
			a.Impact = "not affected, as stated in " + strings.TrimPrefix(a.Notes, "VEX statement in ")
		}
	case Fixed, UnderInvestigation:
		a.Action = ""
		if rest != "" {
			a.Notes += ": " + rest
		}
	case Affected:
		if rest != "" {
			a.Notes += ": " + rest
		}
	}
}

func exceptionNote(s *finding.Suppression) string {
	n := "accepted by the exception at " + cmp.Or(s.Source, "an unnamed source")
	if s.Expires != "" {
		n += " until " + s.Expires
	}
	return n
}

// parseReason splits "[state: ][justification: ]text" into its parts;
// words that are not VEX labels are text.
func parseReason(r string) (state, justification, rest string) {
	rest = strings.TrimSpace(r)
	head, tail, _ := strings.Cut(rest, ":")
	if _, ok := states[strings.TrimSpace(head)]; ok {
		state, rest = strings.TrimSpace(head), strings.TrimSpace(tail)
		head, tail, _ = strings.Cut(rest, ":")
	}
	if isJustification(strings.TrimSpace(head)) {
		justification, rest = strings.TrimSpace(head), strings.TrimSpace(tail)
	}
	return state, justification, rest
}

func isJustification(s string) bool {
	if _, ok := fromCycloneDX[s]; ok {
		return true
	}
	for _, j := range Justifications {
		if s == j {
			return true
		}
	}
	return false
}

// Remediation says how to fix a vulnerability finding, as a sentence:
// the rule's remediation when it has one; "Upgrade <package> to
// <fixed>." when a fix exists, naming the OS package to upgrade when
// the affected package was installed by one (and the Go toolchain for
// the standard library); else that no fix exists.
func Remediation(f *finding.Finding) string {
	if r := strings.TrimSpace(f.Rule.Remediation); r != "" {
		return sentence(r)
	}
	p := f.Package
	fixed := f.Signals.FixedIn
	status := ""
	if f.Vuln != nil {
		status = f.Vuln.Status
	}
	switch {
	case len(fixed) > 0 && p != nil && p.OwnedBy != "":
		eco, name, _ := strings.Cut(p.OwnedBy, ":")
		return fmt.Sprintf("Upgrade the %s package %s, which installed %s %s; the fix upstream is in %s.", eco, name, p.Name, p.Version, strings.Join(fixed, " or "))
	case len(fixed) > 0 && p != nil && p.Ecosystem == inventory.Golang && p.Name == "stdlib":
		return fmt.Sprintf("Rebuild with Go %s or later.", strings.Join(fixed, " or "))
	case len(fixed) > 0 && p != nil:
		return fmt.Sprintf("Upgrade %s to %s.", cmp.Or(p.Name, "the package"), strings.Join(fixed, " or "))
	case len(fixed) > 0:
		return fmt.Sprintf("Upgrade to %s.", strings.Join(fixed, " or "))
	case status == "wont-fix":
		return "No fix: the publisher will not fix it in this release."
	default:
		return "No fix is available yet."
	}
}

// sentence ends s with a full stop.
func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// AdvisoryURL returns the public page of a vulnerability id: NVD for CVEs,
// GitHub for GHSAs, pkg.go.dev for Go ids, Debian's tracker for DSA/DLA,
// and osv.dev for the rest.
func AdvisoryURL(id string) string {
	prefix, _, _ := strings.Cut(id, "-")
	id = url.PathEscape(id)
	switch strings.ToUpper(prefix) {
	case "CVE":
		return "https://nvd.nist.gov/vuln/detail/" + id
	case "GHSA":
		return "https://github.com/advisories/" + id
	case "GO":
		return "https://pkg.go.dev/vuln/" + id
	case "DSA", "DLA", "DTSA":
		return "https://security-tracker.debian.org/tracker/" + id
	}
	return "https://osv.dev/vulnerability/" + id
}
