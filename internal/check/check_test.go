package check

import (
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/finding"
)

func TestValidate(t *testing.T) {
	good := finding.Rule{ID: "PAVE-DF-001", Kind: finding.Misconfig, Title: "t", Severity: finding.High, Remediation: "r",
		Controls: []finding.Control{{Framework: NIST800190, ID: "4.1.2"}}}
	mod := func(f func(*finding.Rule)) finding.Rule {
		r := good
		r.Controls = append([]finding.Control(nil), good.Controls...)
		f(&r)
		return r
	}
	tests := []struct {
		name  string
		rules []finding.Rule
		want  string // "" when valid
	}{
		{"valid", []finding.Rule{good}, ""},
		{"bad id", []finding.Rule{mod(func(r *finding.Rule) { r.ID = "DF-1" })}, "id must look like"},
		{"named id", []finding.Rule{mod(func(r *finding.Rule) { r.ID = "PAVE-RT-DRIFT-EXEC" })}, ""},
		{"one-word id", []finding.Rule{mod(func(r *finding.Rule) { r.ID = "PAVE-DF-ROOT" })}, "id must look like"},
		{"short number", []finding.Rule{mod(func(r *finding.Rule) { r.ID = "PAVE-DF-01" })}, "id must look like"},
		{"twice", []finding.Rule{good, good}, "declared twice"},
		{"no title", []finding.Rule{mod(func(r *finding.Rule) { r.Title = "" })}, "title and a remediation"},
		{"no severity", []finding.Rule{mod(func(r *finding.Rule) { r.Severity = finding.Unknown })}, "needs a severity"},
		{"no kind", []finding.Rule{mod(func(r *finding.Rule) { r.Kind = "" })}, "needs a kind"},
		{"no NIST", []finding.Rule{mod(func(r *finding.Rule) { r.Controls = []finding.Control{{Framework: CISDocker, ID: "4.1"}} })}, "NIST SP 800-190"},
		{"empty control", []finding.Rule{mod(func(r *finding.Rule) { r.Controls = append(r.Controls, finding.Control{Framework: CWE}) })}, "empty control"},
	}
	for _, tc := range tests {
		err := Validate(tc.rules)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Validate = %v, want %q", tc.name, err, tc.want)
		}
	}
	if Find([]finding.Rule{good}, "PAVE-DF-001").Title != "t" {
		t.Error("Find did not return the rule")
	}
}
