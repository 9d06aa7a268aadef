// Package scan runs pave's whole pipeline over one target: open the
// artifact, stream its layers through the extractors, detect the operating
// system, name every package (PURLs, OS ownership of language packages) and
// produce the report.Scan every output format consumes. Later stages —
// vulnerability matching, checks, secrets — add findings to the same scan.
package scan

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/artifact/layers"
	"github.com/pavesec/pave/internal/check"
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/all"
	"github.com/pavesec/pave/internal/extract/osrelease"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
)

// Config configures a scan. Zero fields take defaults.
type Config struct {
	// Open configures how the target is opened.
	Open artifact.Options
	// Extractors defaults to all.Default().
	Extractors []extract.Extractor
	// Runner tunes the walk (workers, file-size limits); its Extractors,
	// Retain and TempDir fields are set by Run.
	Runner extract.Config
	// Tool names the producer in reports.
	Tool report.Tool
	// Now is the clock for end-of-life checks; default time.Now.
	Now func() time.Time
	// Progress, when set, is told how the walk goes.
	Progress func(extract.Progress)
	// FileChecks see every file they match, in every layer, in the same
	// walk as the extractors; ImageChecks see the image's configuration
	// and merged filesystem afterwards.
	FileChecks  []check.FileCheck
	ImageChecks []check.ImageCheck
}

// Result is a finished scan plus the merged view, for stages that need
// file contents or metadata (checks, runtime evidence).
type Result struct {
	Scan *report.Scan
	View *layers.Tree
	Ref  artifact.Ref
}

// Run scans target.
func Run(ctx context.Context, target string, cfg Config) (*Result, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Extractors == nil {
		cfg.Extractors = all.Default()
	}
	src, err := artifact.Open(ctx, target, cfg.Open)
	if err != nil {
		return nil, err
	}
	defer src.Close()

	rc := cfg.Runner
	rc.Extractors = cfg.Extractors
	var cr *checkRunner
	if len(cfg.FileChecks) > 0 {
		cr = &checkRunner{checks: cfg.FileChecks}
		rc.Extractors = append(slices.Clone(cfg.Extractors), cr)
	}
	rc.TempDir = cfg.Open.TempDir
	rc.Retain = retainOSRelease()
	rc.Progress = cfg.Progress
	res, err := extract.NewRunner(rc).Run(ctx, src)
	if err != nil {
		return nil, err
	}

	distro, _ := osrelease.Detect(res.View, cfg.Now())
	pkgs := res.Packages
	for i := range pkgs {
		if pkgs[i].Ecosystem.IsOS() && pkgs[i].PURL == "" {
			pkgs[i].PURL = inventory.OSPURL(&pkgs[i], distro)
		}
	}
	markOwned(res.View, pkgs)
	merged := inventory.Merge(pkgs)

	ref := src.Ref()
	s := &report.Scan{
		Header: report.Header{
			Schema: report.Schema,
			Tool:   cfg.Tool,
			Target: report.Target{Kind: string(ref.Kind), Name: ref.Name, Digest: ref.Digest, ImageID: ref.ImageID,
				Platform: ref.Platform, RepoTags: ref.RepoTags},
			Distro: distro,
			Layers: res.Layers,
		},
		Packages: merged,
		Summary: report.Summary{
			Status:   "complete",
			Packages: len(merged),
			Files:    int64(res.View.Len()),
		},
	}
	if s.Packages == nil {
		s.Packages = []inventory.Package{}
	}
	for _, e := range res.Errors {
		s.Summary.Errors = append(s.Summary.Errors, report.FileError{Path: e.Path, Layer: e.Layer, Extractor: e.Extractor, Error: e.Message})
	}
	tgt := finding.Target{Kind: "image", Name: ref.Name, Digest: cmp.Or(ref.Digest, ref.ImageID)}
	if !ref.Kind.IsImage() {
		tgt.Kind = "dir"
	}
	var found []finding.Finding
	if cr != nil {
		found = cr.found
	}
	if len(cfg.ImageChecks) > 0 {
		img := &check.Image{FS: res.View, Layers: res.Layers, Distro: distro,
			Origin: func(p string) (int, bool) { l := res.View.Origin(p); return l, l >= 0 }}
		// Only a registry or engine reference names a registry; an archive
		// path could parse as a Docker Hub name.
		if ref.Kind == artifact.Registry || ref.Kind == artifact.Daemon {
			img.Ref = ref.Name
		}
		if c, ok := src.(artifact.Configured); ok {
			img.Config = c.Config()
		}
		for _, ic := range cfg.ImageChecks {
			fs, err := ic.Check(ctx, img)
			if err != nil {
				s.Summary.Errors = append(s.Summary.Errors, report.FileError{Layer: -1, Extractor: ic.Name(), Error: err.Error()})
			}
			found = append(found, fs...)
		}
	}
	s.Findings = finish(found, tgt)
	s.Summary.Findings = len(s.Findings)
	if res.Partial() || len(s.Summary.Errors) > 0 {
		s.Summary.Status = "partial"
	}
	return &Result{Scan: s, View: res.View, Ref: ref}, nil
}

func retainOSRelease() func(string) bool {
	want := map[string]bool{}
	for _, p := range osrelease.Paths {
		want[p] = true
	}
	return func(p string) bool { return want[p] }
}

// markOwned sets OwnedBy on language packages whose files an OS package
// installed (Debian's python3-*, node-*, ruby-*, lib*-java...). Paths in OS
// file lists are matched after resolving symlinked directories in the view
// (usr-merge puts /lib/... at /usr/lib/...).
func markOwned(view *layers.Tree, pkgs []inventory.Package) {
	owner := map[string]string{}
	dirCache := map[string]string{}
	resolveDir := func(d string) string {
		if r, ok := dirCache[d]; ok {
			return r
		}
		r, err := view.Resolve(d)
		if err != nil {
			r = d
		}
		dirCache[d] = r
		return r
	}
	for i := range pkgs {
		p := &pkgs[i]
		if !p.Ecosystem.IsOS() || len(p.Files) == 0 {
			continue
		}
		id := string(p.Ecosystem) + ":" + p.Name
		for _, f := range p.Files {
			f = strings.TrimPrefix(path.Clean("/"+f), "/")
			if f == "" {
				continue
			}
			if _, ok := owner[f]; !ok {
				owner[f] = id
			}
			d, b := path.Split(f)
			if d == "" {
				continue
			}
			if r := resolveDir(strings.TrimSuffix(d, "/")); r != strings.TrimSuffix(d, "/") {
				if _, ok := owner[r+"/"+b]; !ok {
					owner[r+"/"+b] = id
				}
			}
		}
	}
	if len(owner) == 0 {
		return
	}
	for i := range pkgs {
		p := &pkgs[i]
		if p.Ecosystem.IsOS() || p.OwnedBy != "" {
			continue
		}
		for _, l := range p.Locations {
			if o, ok := owner[l.Path]; ok {
				p.OwnedBy = o
				break
			}
		}
	}
}
