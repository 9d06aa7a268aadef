package secret

import (
	"testing"

	"github.com/pavesec/pave/internal/check"
)

func TestRulesValidate(t *testing.T) {
	fc := &FileCheck{}
	rules := fc.Rules()
	if err := check.Validate(rules); err != nil {
		t.Fatal(err)
	}
	if len(rules) < 150 {
		t.Errorf("%d rules, want at least 150", len(rules))
	}
}
