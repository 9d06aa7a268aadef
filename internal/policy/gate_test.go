package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/finding"
)

func TestGate(t *testing.T) {
	sev := func(s finding.Severity, suppressed bool) finding.Finding {
		f := finding.Finding{Severity: s}
		if suppressed {
			f.Suppressed = &finding.Suppression{Kind: KindException}
		}
		return f
	}
	fs := []finding.Finding{
		sev(finding.Critical, false), sev(finding.Critical, true),
		sev(finding.High, false), sev(finding.High, false),
		sev(finding.Medium, false),
		sev(finding.Low, false), sev(finding.Info, false),
		sev(finding.Unknown, false), sev(finding.Unknown, true),
	}
	tests := []struct {
		threshold finding.Severity
		want      GateResult
	}{
		{finding.Critical, GateResult{Threshold: finding.Critical, Failed: true, Counted: 1, Suppressed: 2, UnknownNotCounted: 1,
			BySeverity: map[finding.Severity]int{finding.Critical: 1}}},
		{finding.High, GateResult{Threshold: finding.High, Failed: true, Counted: 3, Suppressed: 2, UnknownNotCounted: 1,
			BySeverity: map[finding.Severity]int{finding.Critical: 1, finding.High: 2}}},
		{finding.Medium, GateResult{Threshold: finding.Medium, Failed: true, Counted: 5, Suppressed: 2,
			BySeverity: map[finding.Severity]int{finding.Critical: 1, finding.High: 2, finding.Medium: 1, finding.Unknown: 1}}},
		{finding.Low, GateResult{Threshold: finding.Low, Failed: true, Counted: 6, Suppressed: 2,
			BySeverity: map[finding.Severity]int{finding.Critical: 1, finding.High: 2, finding.Medium: 1, finding.Low: 1, finding.Unknown: 1}}},
		{finding.Unknown, GateResult{Threshold: finding.Unknown, Failed: true, Counted: 7, Suppressed: 2,
			BySeverity: map[finding.Severity]int{finding.Critical: 1, finding.High: 2, finding.Medium: 1, finding.Low: 1, finding.Info: 1, finding.Unknown: 1}}},
	}
	for _, tt := range tests {
		got := Gate(fs, tt.threshold)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Gate(%v) (-want +got):\n%s", tt.threshold, diff)
		}
	}
	// Everything suppressed or below: the gate passes.
	if g := Gate([]finding.Finding{sev(finding.Critical, true), sev(finding.Low, false)}, finding.High); g.Failed || g.Counted != 0 {
		t.Errorf("gate failed: %+v", g)
	}
	if g := Gate(nil, finding.Unknown); g.Failed {
		t.Errorf("empty gate failed: %+v", g)
	}
}

func TestCounts(t *testing.T) {
	U, I, L, M, H, C := finding.Unknown, finding.Info, finding.Low, finding.Medium, finding.High, finding.Critical
	tests := []struct {
		sev, threshold finding.Severity
		want           bool
	}{
		{C, C, true}, {H, C, false}, {C, H, true}, {H, H, true}, {M, H, false},
		{I, L, false}, {I, I, true}, {I, U, true}, {L, U, true},
		// Unknown severity counts at medium and below, not above.
		{U, U, true}, {U, I, true}, {U, L, true}, {U, M, true}, {U, H, false}, {U, C, false},
	}
	for _, tt := range tests {
		if got := Counts(tt.sev, tt.threshold); got != tt.want {
			t.Errorf("Counts(%v, %v) = %v, want %v", tt.sev, tt.threshold, got, tt.want)
		}
	}
}
