package all

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/finding"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md")

const rulesDoc = "../../../docs/rules.md"

// TestRulesDoc keeps docs/rules.md equal to the catalogue.
func TestRulesDoc(t *testing.T) {
	got := Markdown(Catalogue())
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

// TestCatalogue: every rule of every check is valid and ids are unique
// across families.
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
	if err := check.Validate(all); err != nil {
		t.Fatal(err)
	}
	if n := len(Catalogue()); n != len(all) {
		t.Errorf("catalogue has %d rules, checks declare %d", n, len(all))
	}
	if len(FileChecks(Options{NoConfig: true, NoSecrets: true})) != 0 {
		t.Error("NoConfig and NoSecrets still select file checks")
	}
}
