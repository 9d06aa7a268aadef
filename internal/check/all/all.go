// Package all assembles pave's checks: which run for a scan, and the
// catalogue of every rule they can report (`pave rules`, docs/rules.md).
package all

import (
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/check/cicd"
	"github.com/pavesec/pave/internal/check/dockerfile"
	"github.com/pavesec/pave/internal/check/imageconfig"
	"github.com/pavesec/pave/internal/check/k8s"
	"github.com/pavesec/pave/internal/secret"
)

// Options choose the checks. The zero value selects every check.
type Options struct {
	NoConfig  bool // leave out configuration and pipeline checks
	NoSecrets bool // leave out secret detection
	// AllowedRegistries turns on the untrusted-registry rule (.pave.yaml
	// registries.allow).
	AllowedRegistries []string
}

// FileChecks returns the file checks o selects.
func FileChecks(o Options) []check.FileCheck {
	var out []check.FileCheck
	if !o.NoConfig {
		out = append(out, dockerfile.New(), k8s.New(), cicd.NewGitHubActions(), cicd.NewGitLabCI())
	}
	if !o.NoSecrets {
		out = append(out, &secret.FileCheck{})
	}
	return out
}

// ImageChecks returns the image checks o selects.
func ImageChecks(o Options) []check.ImageCheck {
	var out []check.ImageCheck
	if !o.NoConfig {
		out = append(out, imageconfig.NewWithOptions(imageconfig.Options{AllowedRegistries: o.AllowedRegistries}))
	}
	if !o.NoSecrets {
		// Token formats in ENV, labels, command and build history; the
		// image check above reports secret-named variables.
		out = append(out, &secret.ImageCheck{})
	}
	return out
}
