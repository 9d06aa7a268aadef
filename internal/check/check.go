// Package check defines how configuration, pipeline and secret checks plug
// into a scan, and holds the catalogue of every rule they can report.
//
// A FileCheck looks at one file at a time (a Dockerfile, a Kubernetes
// manifest, a workflow, any text for secrets): Match is cheap and does no
// I/O; Check gets the file's bytes and returns findings with file, line and
// column. The scan hands files to every check that matches them, from a
// directory or from every image layer.
//
// An ImageCheck looks at a whole image: its configuration (user,
// environment, labels, history) and its merged filesystem (setuid files,
// world-writable paths, tools present).
//
// Every rule a check can report is declared up front (Rules), so that
// `pave rules` and docs/rules.md list the whole catalogue, and a test keeps
// them in step.
package check

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// Control frameworks rules map to.
const (
	NIST800190 = "NIST-800-190" // countermeasure ids 4.1.1 … 4.5.x
	CISDocker  = "CIS-Docker"   // CIS Docker Benchmark v1.6.0 ids, e.g. "4.1"
	CISK8s     = "CIS-K8s"      // CIS Kubernetes Benchmark v1.9 ids, e.g. "5.2.2"
	OWASPK8s   = "OWASP-K8s"    // OWASP Kubernetes Top 10 (2022): "K01" … "K10"
	OWASPCICD  = "OWASP-CICD"   // OWASP Top 10 CI/CD Security Risks: "CICD-SEC-1" … "CICD-SEC-10"
	PSS        = "PSS"          // Pod Security Standards level: "baseline" or "restricted"
	CWE        = "CWE"          // e.g. "798"
)

// FileCheck checks files one at a time.
type FileCheck interface {
	// Name is stable and names the family: "dockerfile", "kubernetes",
	// "github-actions", "gitlab-ci", "secret".
	Name() string
	// Rules lists every rule the check may report.
	Rules() []finding.Rule
	// Match reports whether the check wants the file at path
	// (slash-separated, relative to the target root). No I/O.
	Match(path string, info fs.FileInfo) bool
	// Check returns the findings in one file. Findings carry
	// Location.Path, StartLine and Column; the caller sets Target and the
	// layer, and computes fingerprints.
	Check(ctx context.Context, path string, content []byte) ([]finding.Finding, error)
}

// Image is what an ImageCheck sees of an image.
type Image struct {
	Config *v1.ConfigFile    // nil for directories
	FS     fs.FS             // the merged filesystem (fs.StatFS; symlinks as stored)
	Layers []inventory.Layer // in order, base first
	Distro *inventory.Distro // from os-release, nil when unknown
	Ref    string            // the image reference as given
	// Origin, when set, says which layer last wrote a path.
	Origin func(path string) (layer int, ok bool)
}

// ImageCheck checks a whole image.
type ImageCheck interface {
	Name() string
	Rules() []finding.Rule
	Check(ctx context.Context, img *Image) ([]finding.Finding, error)
}

// idPattern is a rule id: a family code, then a number (PAVE-DF-001) or,
// for rules that are one of a named set, two or more words
// (PAVE-RT-DRIFT-EXEC).
var idPattern = regexp.MustCompile(`^PAVE-[A-Z0-9]+-(?:[0-9]{3}|[A-Z]+(?:-[A-Z]+)+)$`)

// Validate checks a family's rule list: stable id format, unique ids,
// title, severity, remediation, and the controls every rule must map to
// (a NIST SP 800-190 countermeasure always).
func Validate(rules []finding.Rule) error {
	seen := map[string]bool{}
	for _, r := range rules {
		switch {
		case !idPattern.MatchString(r.ID):
			return fmt.Errorf("rule %q: id must look like PAVE-XX-001 or PAVE-XX-NAME-NAME", r.ID)
		case seen[r.ID]:
			return fmt.Errorf("rule %s: declared twice", r.ID)
		case r.Title == "" || r.Remediation == "":
			return fmt.Errorf("rule %s: needs a title and a remediation", r.ID)
		case r.Severity == finding.Unknown:
			return fmt.Errorf("rule %s: needs a severity", r.ID)
		case r.Kind == "":
			return fmt.Errorf("rule %s: needs a kind", r.ID)
		case !slices.ContainsFunc(r.Controls, func(c finding.Control) bool { return c.Framework == NIST800190 }):
			return fmt.Errorf("rule %s: maps to no NIST SP 800-190 countermeasure", r.ID)
		}
		for _, c := range r.Controls {
			if c.ID == "" || strings.TrimSpace(c.Framework) == "" {
				return fmt.Errorf("rule %s: empty control", r.ID)
			}
		}
		seen[r.ID] = true
	}
	return nil
}

// Find returns the rule with id from rules, for building findings.
func Find(rules []finding.Rule, id string) finding.Rule {
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	panic("check: unknown rule " + id) // a programming error, caught by every family's tests
}
