package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report/reporttest"
)

// goldenToday is the date the golden test runs on.
var goldenToday = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type goldenInput struct {
	Packages []inventory.Package `json:"packages"`
	Findings []finding.Finding   `json:"findings"`
}

// goldenFinding is the part of a finding Apply decides on.
type goldenFinding struct {
	Rule       string               `json:"rule"`
	Target     string               `json:"target"`
	Package    string               `json:"package,omitempty"`
	Path       string               `json:"path,omitempty"`
	Severity   finding.Severity     `json:"severity"`
	Suppressed *finding.Suppression `json:"suppressed,omitempty"`
}

type goldenOutput struct {
	Error    string          `json:"error,omitempty"`
	Findings []goldenFinding `json:"findings"`
	Result   Result          `json:"result"`
	Gate     GateResult      `json:"gate"`
}

// TestGolden applies testdata/golden/pave.yaml (exceptions, one expired,
// two stale; five real VEX documents; ignoreUnfixed) to a realistic set
// of findings from three images and a directory.
func TestGolden(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	cfg, err := LoadConfig(filepath.Join(dir, "pave.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	p.Packages = in.Packages
	res, err := p.Apply(in.Findings, goldenToday)
	out := goldenOutput{Result: res, Gate: Gate(in.Findings, *cfg.FailOn)}
	if err != nil {
		out.Error = err.Error()
	}
	for _, f := range in.Findings {
		g := goldenFinding{Rule: f.Rule.ID, Target: f.Target.Name, Path: f.Location.Path, Severity: f.Severity, Suppressed: f.Suppressed}
		if f.Package != nil {
			g.Package, g.Path = f.Package.PURL, ""
		}
		out.Findings = append(out.Findings, g)
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// -update (defined by reporttest) rewrites the golden file.
	reporttest.Golden(t, "golden/apply.golden.json", append(got, '\n'))
}
