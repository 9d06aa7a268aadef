package scan

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/artifact/layers"
	"github.com/pavesec/pave/internal/inventory"
)

const sample = "../../testdata/images/sample-debian.tar"

// expected is what internal/testimage recorded when it built the sample.
type expected struct {
	Packages []struct {
		Name, Version, Arch, SourceName string
		Layer                           int
	}
	Removed []struct{ Name string }
}

func TestRunSample(t *testing.T) {
	data, err := os.ReadFile("../../testdata/images/sample-debian.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want expected
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	res, err := Run(context.Background(), sample, Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Scan
	if s.Distro == nil || s.Distro.ID != "debian" || s.Distro.VersionID != "12" || s.Distro.EndOfLife {
		t.Errorf("distro = %+v, want Debian 12 in support", s.Distro)
	}
	if s.Summary.Status != "complete" || len(s.Summary.Errors) != 0 {
		t.Errorf("summary = %+v", s.Summary)
	}
	debs := map[string]inventory.Package{}
	for _, p := range s.Packages {
		if p.Ecosystem == inventory.Deb {
			debs[p.Name] = p
		}
	}
	for _, w := range want.Packages {
		p, ok := debs[w.Name]
		if !ok {
			t.Errorf("deb %s missing", w.Name)
			continue
		}
		if p.Version != w.Version || p.Arch != w.Arch || p.Source == nil || p.Source.Name != w.SourceName {
			t.Errorf("deb %s = %s %s %+v, want %s %s %s", w.Name, p.Version, p.Arch, p.Source, w.Version, w.Arch, w.SourceName)
		}
		if l := p.Locations[0].Layer; l == nil || l.Index != w.Layer || l.DiffID != s.Layers[w.Layer].DiffID {
			t.Errorf("deb %s: layer %+v, want index %d", w.Name, l, w.Layer)
		}
		if !strings.HasPrefix(p.PURL, "pkg:deb/debian/"+w.Name+"@") || !strings.Contains(p.PURL, "distro=debian-12") {
			t.Errorf("deb %s: purl %s", w.Name, p.PURL)
		}
	}
	if len(debs) != len(want.Packages) {
		t.Errorf("found %d debs, built %d", len(debs), len(want.Packages))
	}
	for _, r := range want.Removed {
		if _, ok := debs[r.Name]; ok {
			t.Errorf("purged deb %s still reported", r.Name)
		}
	}
	owned := map[string]string{}
	for _, p := range s.Packages {
		if !p.Ecosystem.IsOS() && p.OwnedBy != "" {
			owned[string(p.Ecosystem)+"/"+p.Name] = p.OwnedBy
		}
	}
	wantOwned := map[string]string{
		"pypi/six": "deb:python3-six", "pypi/idna": "deb:python3-idna",
		"npm/semver": "deb:node-semver", "npm/@types/semver": "deb:node-semver",
		"npm/ms": "deb:node-ms", "npm/@types/ms": "deb:node-ms",
		"gem/rainbow": "deb:ruby-rainbow", "gem/sdbm": "deb:ruby-sdbm",
		"maven/commons-cli:commons-cli": "deb:libcommons-cli-java",
	}
	if diff := cmp.Diff(wantOwned, owned); diff != "" {
		t.Errorf("owned language packages (-want +got):\n%s", diff)
	}
}

// TestMarkOwned checks ownership through usr-merge symlinks: dpkg lists
// /lib/..., the file lives at /usr/lib/....
func TestMarkOwned(t *testing.T) {
	tree := layers.Merge([][]artifact.Entry{{
		{Path: "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", Mode: 0o644},
		{Path: "lib", Mode: fs.ModeSymlink | 0o777, Linkname: "usr/lib"},
		{Path: "srv/app/requirements.txt", Mode: 0o644},
	}})
	pkgs := []inventory.Package{
		{Name: "python3-six", Ecosystem: inventory.Deb, Files: []string{"/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"}},
		{Name: "six", Ecosystem: inventory.PyPI, Locations: []inventory.Location{{Path: "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"}}},
		{Name: "six", Version: "2", Ecosystem: inventory.PyPI, Locations: []inventory.Location{{Path: "srv/app/requirements.txt"}}},
	}
	markOwned(tree, pkgs)
	if got := []string{pkgs[1].OwnedBy, pkgs[2].OwnedBy}; !cmp.Equal(got, []string{"deb:python3-six", ""}) {
		t.Errorf("OwnedBy = %q", got)
	}
}

func BenchmarkRunSample(b *testing.B) {
	for b.Loop() {
		if _, err := Run(context.Background(), sample, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunImage scans the image named by PAVE_BENCH_IMAGE (see
// scripts/bench-sbom.sh, which builds the 1 GiB benchmark image).
func BenchmarkRunImage(b *testing.B) {
	img := os.Getenv("PAVE_BENCH_IMAGE")
	if img == "" {
		b.Skip("PAVE_BENCH_IMAGE not set")
	}
	for b.Loop() {
		if _, err := Run(context.Background(), img, Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
