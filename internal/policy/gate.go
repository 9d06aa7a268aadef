package policy

import (
	"github.com/pavesec/pave/internal/finding"
)

// GateResult is the outcome of the gate.
type GateResult struct {
	Threshold finding.Severity `json:"threshold"`
	// Failed is true when Counted > 0.
	Failed bool `json:"failed"`
	// Counted is the number of unsuppressed findings that fail the gate.
	Counted int `json:"counted"`
	// BySeverity counts the unsuppressed findings that fail the gate, by
	// severity.
	BySeverity map[finding.Severity]int `json:"bySeverity"`
	// Suppressed is the number of findings left out because they are
	// suppressed, whatever their severity.
	Suppressed int `json:"suppressed"`
	// UnknownNotCounted is the number of unsuppressed findings of unknown
	// severity the gate did not count (threshold high or critical). They
	// did not pass silently: the caller should say so.
	UnknownNotCounted int `json:"unknownNotCounted"`
}

// Gate counts the unsuppressed findings at or above threshold. A finding
// of unknown severity (no score yet, typically a new CVE) counts when the
// threshold is medium or lower, or "any" (Unknown): not knowing how bad a
// vulnerability is does not make it pass a strict gate. Above medium it is
// reported in UnknownNotCounted instead.
func Gate(findings []finding.Finding, threshold finding.Severity) GateResult {
	g := GateResult{Threshold: threshold, BySeverity: map[finding.Severity]int{}}
	for i := range findings {
		f := &findings[i]
		if f.Suppressed != nil {
			g.Suppressed++
			continue
		}
		if !Counts(f.Severity, threshold) {
			if f.Severity == finding.Unknown {
				g.UnknownNotCounted++
			}
			continue
		}
		g.Counted++
		g.BySeverity[f.Severity]++
	}
	g.Failed = g.Counted > 0
	return g
}

// Counts reports whether an unsuppressed finding of severity sev fails a
// gate at threshold.
func Counts(sev, threshold finding.Severity) bool {
	if sev == finding.Unknown {
		return threshold <= finding.Medium
	}
	return sev >= threshold
}
