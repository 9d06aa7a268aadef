package match

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/all"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/vulndb"
)

var benchEcosystems = map[string]inventory.Ecosystem{"Go": inventory.Golang, "PyPI": inventory.PyPI, "npm": inventory.NPM, "Maven": inventory.Maven, "crates.io": inventory.Cargo}

// benchInput builds a database from real records — the sample data
// bundle unpacked at $PAVE_VULNDATA (default /var/tmp/vulndata/extracted)
// when present, else testdata/vulndb — and 5,000 packages: one per
// package name the records know, at the first version their events name
// after "0" (so that every lookup finds advisories and evaluates ranges,
// and some are affected), repeated if there are fewer names.
func benchInput(b *testing.B) (string, []inventory.Package) {
	b.Helper()
	var inputs []vulndb.Input
	data := os.Getenv("PAVE_VULNDATA")
	if data == "" {
		data = "/var/tmp/vulndata/extracted"
	}
	if _, err := os.Stat(filepath.Join(data, "golang-vulndb-proxy")); err == nil {
		for _, d := range []string{"golang-vulndb-proxy/data/osv", "pypa/vulns", "rustsec-osv/crates", "ghsa-osv-samples"} {
			inputs = append(inputs, vulndb.Input{Feed: "osv", Location: filepath.Join(data, d)})
		}
	} else {
		for _, d := range []string{"go", "pypa", "ghsa"} {
			inputs = append(inputs, vulndb.Input{Feed: "osv", Location: filepath.Join("..", "..", "testdata", "vulndb", d)})
		}
	}
	w, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Feeds: all.Feeds(), Inputs: inputs, Offline: true, Built: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "bench.db")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	db, err := vulndb.Open(p, vulndb.OpenOptions{SkipVerify: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pkgs []inventory.Package
	seen := map[string]bool{}
	db.Each(func(a vulndb.Advisory) error {
		for _, af := range a.Record.Affected {
			eco, ok := benchEcosystems[af.Package.Ecosystem]
			if !ok {
				continue
			}
			if seen[af.Package.Name] || len(pkgs) >= 5000 {
				continue
			}
			for _, r := range af.Ranges {
				for _, e := range r.Events {
					for _, v := range []string{e.Introduced, e.Fixed} {
						if v == "" || v == "0" || seen[af.Package.Name] {
							continue
						}
						seen[af.Package.Name] = true
						pkgs = append(pkgs, inventory.Package{Name: af.Package.Name, Version: v, Ecosystem: eco, Locations: []inventory.Location{{Path: "app"}}})
					}
				}
			}
		}
		return nil
	})
	for i := 0; len(pkgs) < 5000 && len(pkgs) > 0; i++ {
		pkgs = append(pkgs, pkgs[i%len(pkgs)])
	}
	return p, pkgs
}

// BenchmarkOpenAndMatch5000 opens (and verifies nothing: no signature)
// the database and matches 5,000 packages, as a scan does.
func BenchmarkOpenAndMatch5000(b *testing.B) {
	path, pkgs := benchInput(b)
	b.ResetTimer()
	for b.Loop() {
		db, err := vulndb.Open(path, vulndb.OpenOptions{SkipVerify: true})
		if err != nil {
			b.Fatal(err)
		}
		res, err := Match(context.Background(), db, Input{Packages: pkgs, Target: finding.Target{Name: "bench"}})
		if err != nil || len(res.Findings) == 0 {
			b.Fatal(err, len(res.Findings))
		}
		b.ReportMetric(float64(len(res.Findings)), "findings/op")
		db.Close()
	}
}

var _ feed.Sink = (*feed.Collector)(nil)
