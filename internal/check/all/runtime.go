package all

import (
	"context"
	"fmt"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/sensor/baseline"
	"github.com/pavesec/pave/internal/sensor/rules"
)

// Runtime is the catalogue family of the rules `pave sensor` reports: the
// rule engine's built-in rules and the baseline drift rules.
const Runtime = "runtime"

// RuntimeRules returns the runtime family: the built-in rules of the
// sensor's rule engine (user rules files are not part of the catalogue),
// each marked when it may enforce, then the drift rules.
func RuntimeRules(ctx context.Context) ([]Rule, error) {
	eng, _, err := rules.Load(ctx, rules.Options{})
	if err != nil {
		return nil, fmt.Errorf("all: runtime rules: %w", err)
	}
	var out []Rule
	for _, r := range eng.Rules() {
		out = append(out, Rule{Rule: r, Family: Runtime, Enforce: eng.Enforces(r.ID)})
	}
	for _, r := range []finding.Rule{baseline.RuleExec, baseline.RuleNet, baseline.RuleWrite} {
		out = append(out, Rule{Rule: r, Family: Runtime})
	}
	return out, nil
}
