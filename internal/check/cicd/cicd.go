// Package cicd checks CI pipeline definitions: GitHub Actions workflows and
// composite actions, and GitLab CI pipelines.
//
// The checks look for what turns a pipeline into a way in: third-party
// actions, images and includes referenced by movable tags (a re-pointed tag
// runs an attacker's code with the pipeline's secrets), privileged triggers
// that run a pull request's code, untrusted event text pasted into
// scripts, over-broad tokens, self-hosted runners exposed to outsiders,
// caches outsiders can write, downloads run without an integrity check,
// and secrets printed or written in the file.
//
// Files are parsed with github.com/goccy/go-yaml so every finding carries
// the line and column of the `uses:`, `run:`, `image:` or key it is about.
// Inputs are bounded in size, nesting and node count; YAML aliases are
// not expanded (what they point at is checked where the anchor is written).
package cicd

import (
	"cmp"
	"slices"

	"github.com/pavesec/pave/internal/finding"
)

// sortFindings orders findings most severe first, then by place, so the
// worst problems — unpinned security tools among them — lead the report.
// Identical findings (one YAML line seen twice) are dropped.
func sortFindings(fs []finding.Finding) []finding.Finding {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Location.StartLine, b.Location.StartLine),
			cmp.Compare(a.Location.Column, b.Location.Column),
			cmp.Compare(a.Rule.ID, b.Rule.ID),
			cmp.Compare(a.Evidence, b.Evidence),
		)
	})
	return slices.CompactFunc(fs, func(a, b finding.Finding) bool {
		return a.Rule.ID == b.Rule.ID && a.Location == b.Location && a.Evidence == b.Evidence
	})
}
