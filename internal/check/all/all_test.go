package all

import (
	"context"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/baseline"
	"github.com/pavesec/pave/internal/sensor/rules"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md")

const rulesDoc = "../../../docs/rules.md"

func catalogue(t *testing.T) []Rule {
	t.Helper()
	c, err := Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRulesDoc keeps docs/rules.md equal to the catalogue.
func TestRulesDoc(t *testing.T) {
	got := Markdown(catalogue(t))
	if *update {
		if err := os.WriteFile(rulesDoc, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/check/all -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("docs/rules.md is out of date; run go test ./internal/check/all -update\n%s", d)
	}
}

// TestCatalogue: every rule of every check and of the sensor is valid,
// ids are unique across families, and the catalogue holds each once.
func TestCatalogue(t *testing.T) {
	var all []finding.Rule
	names := map[string]bool{}
	for _, c := range FileChecks(Options{}) {
		if names[c.Name()] {
			t.Errorf("check name %s used twice", c.Name())
		}
		names[c.Name()] = true
		all = append(all, c.Rules()...)
	}
	for _, c := range ImageChecks(Options{}) {
		names[c.Name()] = true
		all = append(all, c.Rules()...)
	}
	if names[Runtime] {
		t.Errorf("a check is named %s, the runtime family", Runtime)
	}
	rt, err := RuntimeRules(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rt {
		all = append(all, r.Rule)
	}
	if err := check.Validate(all); err != nil {
		t.Fatal(err)
	}
	cat := catalogue(t)
	if n := len(cat); n != len(all) {
		t.Errorf("catalogue has %d rules, checks and sensor declare %d", n, len(all))
	}
	if !slices.IsSortedFunc(cat, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("catalogue is not sorted by id")
	}
	for _, r := range cat {
		if r.Enforce && r.Family != Runtime {
			t.Errorf("%s (%s) marked enforce outside the runtime family", r.ID, r.Family)
		}
	}
	if len(FileChecks(Options{NoConfig: true, NoSecrets: true})) != 0 {
		t.Error("NoConfig and NoSecrets still select file checks")
	}
}

// TestRuntimeRules: every built-in sensor rule and every drift rule is in
// the catalogue exactly once, in the runtime family, marked enforce exactly
// when the engine would kill for it, with the metadata the sensor reports.
func TestRuntimeRules(t *testing.T) {
	eng, rep, err := rules.Load(context.Background(), rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if en, dis := rep.Counts(); dis != 0 || en == 0 {
		t.Fatalf("built-in rules: %d enabled, %d disabled", en, dis)
	}
	want := map[string]Rule{}
	for _, r := range eng.Rules() {
		want[r.ID] = Rule{Rule: r, Family: Runtime, Enforce: eng.Enforces(r.ID)}
	}
	for _, r := range []finding.Rule{baseline.RuleExec, baseline.RuleNet, baseline.RuleWrite} {
		want[r.ID] = Rule{Rule: r, Family: Runtime}
	}
	if len(want) != len(eng.Rules())+3 {
		t.Fatalf("engine and drift rules share an id: %d distinct of %d", len(want), len(eng.Rules())+3)
	}
	got := map[string]Rule{}
	enforcing := 0
	for _, r := range catalogue(t) {
		if r.Family != Runtime {
			if _, ok := want[r.ID]; ok {
				t.Errorf("%s is in family %s, want %s", r.ID, r.Family, Runtime)
			}
			continue
		}
		if _, dup := got[r.ID]; dup {
			t.Errorf("%s listed twice", r.ID)
		}
		got[r.ID] = r
		if r.Enforce {
			enforcing++
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("runtime family (-want +got):\n%s", d)
	}
	// The built-in set tags some rules pave.enforce (builtin.yaml); a
	// catalogue that marks none has lost the mark.
	if enforcing == 0 {
		t.Error("no runtime rule marked enforce")
	}
}

// TestMarkdownEnforce: the enforce column appears only for a family that
// has an enforcing rule, and marks exactly those rules.
func TestMarkdownEnforce(t *testing.T) {
	base := finding.Rule{Kind: finding.Runtime, Severity: finding.High, Title: "t", Remediation: "r",
		Controls: []finding.Control{{Framework: check.NIST800190, ID: "4.4.4"}}}
	a, b, c := base, base, base
	a.ID, b.ID, c.ID = "PAVE-RT-001", "PAVE-RT-002", "PAVE-DF-001"
	md := Markdown([]Rule{{Rule: c, Family: "dockerfile"}, {Rule: a, Family: Runtime, Enforce: true}, {Rule: b, Family: Runtime}})
	for _, line := range []string{
		"| id | severity | title | NIST 800-190 |\n|---|---|---|---|\n| <a id=\"pave-df-001\"></a>PAVE-DF-001 | high | t | 4.4.4 |\n",
		"| id | severity | title | NIST 800-190 | enforce |\n|---|---|---|---|---|\n" +
			"| <a id=\"pave-rt-001\"></a>PAVE-RT-001 | high | t | 4.4.4 | yes |\n" +
			"| <a id=\"pave-rt-002\"></a>PAVE-RT-002 | high | t | 4.4.4 |  |\n",
		"### PAVE-RT-001: t\n\nr\n\nEnforcing:",
	} {
		if !strings.Contains(md, line) {
			t.Errorf("markdown lacks %q:\n%s", line, md)
		}
	}
	if !strings.HasSuffix(md, "### PAVE-RT-002: t\n\nr\n\n") {
		t.Errorf("a rule that does not enforce says more than its remediation:\n%s", md)
	}
}
