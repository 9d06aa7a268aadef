package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	checkall "github.com/pavesec/pave/internal/check/all"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/baseline"
	"github.com/pavesec/pave/internal/sensor/rules"
)

// rulesJSON runs pave rules --format json with args and decodes the list.
func rulesJSON(t *testing.T, args ...string) []checkall.Rule {
	t.Helper()
	code, stdout, stderr := pave(t, append([]string{"rules", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("pave rules %v: exit %d: %s", args, code, stderr)
	}
	var out []checkall.Rule
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("pave rules %v: %v", args, err)
	}
	return out
}

// TestRulesRuntime: pave rules lists the sensor's built-in rules and drift
// rules as the runtime family, with the enforce mark the engine uses.
func TestRulesRuntime(t *testing.T) {
	eng, _, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Rule    finding.Rule
		Enforce bool
	}
	want := map[string]entry{}
	for _, r := range eng.Rules() {
		want[r.ID] = entry{r, eng.Enforces(r.ID)}
	}
	for _, r := range []finding.Rule{baseline.RuleExec, baseline.RuleNet, baseline.RuleWrite} {
		want[r.ID] = entry{r, false}
	}
	got := map[string]entry{}
	for _, r := range rulesJSON(t, "--family", "runtime") {
		if r.Family != "runtime" {
			t.Errorf("--family runtime listed %s of family %s", r.ID, r.Family)
		}
		if _, dup := got[r.ID]; dup {
			t.Errorf("%s listed twice", r.ID)
		}
		got[r.ID] = entry{r.Rule, r.Enforce}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("runtime family (-want +got):\n%s", d)
	}

	// The whole catalogue: every family, ids unique across them.
	all := rulesJSON(t)
	seen := map[string]string{}
	fams := map[string]int{}
	for _, r := range all {
		if f, dup := seen[r.ID]; dup {
			t.Errorf("%s in families %s and %s", r.ID, f, r.Family)
		}
		seen[r.ID] = r.Family
		fams[r.Family]++
	}
	if fams["runtime"] != len(want) || len(fams) < 7 {
		t.Errorf("families %v, want runtime with %d rules among the scan families", fams, len(want))
	}
}

func TestRulesTable(t *testing.T) {
	code, stdout, stderr := pave(t, "rules", "PAVE-RT-013", "pave-rt-drift-exec", "PAVE-DF-001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("want a header and 3 rules:\n%s", stdout)
	}
	for i, want := range []struct{ prefix, has, hasNot string }{
		{"PAVE-DF-001 ", "dockerfile", "[enforce]"},
		{"PAVE-RT-013 critical runtime ", "nsenter run in container [enforce] NIST-800-190 4.5.2", ""},
		{"PAVE-RT-DRIFT-EXEC high runtime ", "NIST-800-190 4.4.4", "[enforce]"},
	} {
		l := strings.Join(strings.Fields(lines[i+1]), " ")
		if !strings.HasPrefix(l, want.prefix) || !strings.Contains(l, want.has) || (want.hasNot != "" && strings.Contains(l, want.hasNot)) {
			t.Errorf("line %q: want prefix %q, containing %q, not %q", l, want.prefix, want.has, want.hasNot)
		}
	}

	code, stdout, _ = pave(t, "rules", "--family", "runtime", "--format", "markdown")
	for _, want := range []string{"\n## runtime\n", "| enforce |", "PAVE-RT-016 | critical | Crypto miner run in container | 4.4.4 | yes |", "### PAVE-RT-DRIFT-WRITE: "} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("markdown (exit %d) lacks %q", code, want)
		}
	}
	if strings.Contains(stdout, "## dockerfile") {
		t.Error("--family runtime markdown holds another family")
	}
}

func TestRulesUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rules", "--family", "runtimes"}, `unknown family "runtimes" (want one of dockerfile, github-actions, gitlab-ci, image, kubernetes, runtime, secret)`},
		{[]string{"rules", "PAVE-RT-999"}, "no rule matches"},
		{[]string{"rules", "--family", "runtime", "PAVE-DF-001"}, "no rule matches"},
		{[]string{"rules", "--format", "xml"}, `unknown format "xml"`},
	} {
		code, stdout, stderr := pave(t, tc.args...)
		if code != ExitInput || stdout != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", tc.args, code, stdout, stderr, ExitInput, tc.want)
		}
	}
}
