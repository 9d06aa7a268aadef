package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

// MaxCheckedFile bounds the files handed to file checks.
const MaxCheckedFile = 10 << 20

// checkRunner adapts file checks to the extraction walk: it claims the
// files any check wants, so their content is read in the same single pass
// over every layer as the extractors' files, and it keeps findings from
// every layer, not only from the surviving version of a file: a secret
// deleted in a later layer is still in the image.
type checkRunner struct {
	checks []check.FileCheck
	mu     sync.Mutex
	found  []finding.Finding
	errs   []error
}

func (c *checkRunner) Name() string { return "checks" }
func (c *checkRunner) Version() int { return 1 }

func (c *checkRunner) Match(p string, info fs.FileInfo) bool {
	if info.Size() > MaxCheckedFile {
		return false
	}
	for _, ch := range c.checks {
		if wants(ch, p, info) {
			return true
		}
	}
	return false
}

// wants reports whether ch checks the file at p. Configuration and
// pipeline checks judge the project's own files: a workflow or Dockerfile
// shipped inside an installed third-party package (node_modules,
// site-packages, an installed gem) is not the image's pipeline. Secret
// detection looks everywhere: a credential in a dependency is still in the
// image.
func wants(ch check.FileCheck, p string, info fs.FileInfo) bool {
	if ch.Name() != "secret" && extract.InsideInstalledPackage(p) {
		return false
	}
	return ch.Match(p, info)
}

func (c *checkRunner) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	content, err := extract.ReadAll(in, MaxCheckedFile)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ch := range c.checks {
		if !wants(ch, in.Path, in.Info) {
			continue
		}
		fs, err := ch.Check(ctx, in.Path, content)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ch.Name(), err))
		}
		for i := range fs {
			fs[i].Location.Path = cmp.Or(fs[i].Location.Path, in.Path)
			fs[i].Location.Layer = in.Layer
		}
		c.mu.Lock()
		c.found = append(c.found, fs...)
		c.mu.Unlock()
	}
	return nil, errors.Join(errs...)
}

// finish sets the target and fingerprints, and keeps one finding per
// fingerprint: the one in the lowest layer, where the problem entered.
func finish(fs []finding.Finding, target finding.Target) []finding.Finding {
	layerOf := func(f *finding.Finding) int {
		if f.Location.Layer == nil {
			return -1
		}
		return f.Location.Layer.Index
	}
	for i := range fs {
		fs[i].Target = target
		if fs[i].Severity == finding.Unknown {
			fs[i].Severity = fs[i].Rule.Severity
		}
		fs[i].Fingerprint = fs[i].ComputeFingerprint()
	}
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Fingerprint, b.Fingerprint), cmp.Compare(layerOf(&a), layerOf(&b)),
			cmp.Compare(a.Location.StartLine, b.Location.StartLine))
	})
	fs = slices.CompactFunc(fs, func(a, b finding.Finding) bool { return a.Fingerprint == b.Fingerprint })
	SortFindings(fs)
	return fs
}

// SortFindings orders findings worst first, then by rule, path and line.
func SortFindings(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Rule.ID, b.Rule.ID),
			cmp.Compare(a.Location.Path, b.Location.Path), cmp.Compare(a.Location.StartLine, b.Location.StartLine),
			cmp.Compare(a.Location.Column, b.Location.Column))
	})
}
