package match

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/vulndb"
)

func ptime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// extraRecords are transcribed from real rows of feeds whose parsers
// live elsewhere, to test joining across feeds.
var extraRecords = []struct {
	source string
	rec    osv.Record
}{
	// ghsa-openrewrite-csv-2024/advisories-npm.csv line 1535:
	// CVE-2021-23337,2021-05-06T16:05:51Z,"Command Injection in lodash",lodash,0,4.17.21,HIGH,CWE-77;CWE-94
	{"ghsa-csv", osv.Record{ID: "CVE-2021-23337", Published: ptime("2021-05-06T16:05:51Z"), Modified: *ptime("2021-05-06T16:05:51Z"),
		Summary: "Command Injection in lodash", DatabaseSpecific: json.RawMessage(`{"severity":"HIGH"}`),
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "lodash"}, Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "4.17.21"}}}}}}}},
	// Debian DSA list: "[13 Feb 2023] DSA-5345-1 chromium - security update",
	// {CVE-2023-0696 CVE-2023-0697 ...}, "[bullseye] - chromium 110.0.5481.77-1~deb11u1"
	// (two of its CVEs kept; a second package added to see a DSA reported
	// alone), and the tracker's view of its CVEs.
	{"debian", osv.Record{ID: "DSA-5345-1", Modified: *ptime("2023-02-13T00:00:00Z"), Upstream: []string{"CVE-2023-0696", "CVE-2023-0697"},
		Affected: []osv.Affected{
			{Package: osv.Package{Ecosystem: "Debian:11", Name: "chromium"}, Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "110.0.5481.77-1~deb11u1"}}}}},
			{Package: osv.Package{Ecosystem: "Debian:11", Name: "chromium-other"}, Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "110.0.5481.77-1~deb11u1"}}}}},
		}}},
	{"debian", osv.Record{ID: "DEBIAN-CVE-2023-0696", Modified: *ptime("2023-02-13T00:00:00Z"), Upstream: []string{"CVE-2023-0696"},
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:11", Name: "chromium"}, EcosystemSpecific: json.RawMessage(`{"severity":"high"}`),
			Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "110.0.5481.77-1~deb11u1"}}}}}}}},
	{"debian", osv.Record{ID: "DEBIAN-CVE-2023-0697", Modified: *ptime("2023-02-13T00:00:00Z"), Upstream: []string{"CVE-2023-0697"},
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:11", Name: "chromium"}, EcosystemSpecific: json.RawMessage(`{"severity":"medium"}`),
			Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "110.0.5481.77-1~deb11u1"}}}}}}}},
}

func testDB(t testing.TB) *vulndb.DB {
	t.Helper()
	w := vulndb.NewWriter(vulndb.Meta{Built: time.Now()})
	files, _ := filepath.Glob("testdata/records/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r osv.Record
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Advisory("osv", &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range extraRecords {
		r := e.rec
		if _, err := w.Advisory(e.source, &r); err != nil {
			t.Fatal(err)
		}
	}
	// Real enrichment: CVE-2021-44228 is in CISA's KEV catalog (kev/known_exploited_vulnerabilities.json).
	w.KEV(&feed.KEV{CVE: "CVE-2021-44228", DateAdded: "2021-12-10"})
	w.EPSS(&feed.EPSS{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99957})
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "db")
	os.WriteFile(p, buf.Bytes(), 0o644)
	db, err := vulndb.Open(p, vulndb.OpenOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type want struct {
	id, pkg    string
	aliases    []string
	advisories []string
	fixed      []string
	status     string
	severity   finding.Severity
	kev        bool
}

func TestMatch(t *testing.T) {
	db := testDB(t)
	loc := []inventory.Location{{Path: "app/server"}}
	tests := []struct {
		name   string
		distro *inventory.Distro
		pkgs   []inventory.Package
		want   []want
	}{
		{
			name: "go stdlib inside and outside the range",
			pkgs: []inventory.Package{
				{Name: "stdlib", Version: "1.16.0", Ecosystem: inventory.Golang, Locations: loc},
				{Name: "stdlib", Version: "1.16.1", Ecosystem: inventory.Golang, Locations: loc},
				{Name: "stdlib", Version: "1.15.9", Ecosystem: inventory.Golang, Locations: loc},
			},
			want: []want{{id: "CVE-2021-27919", pkg: "stdlib@1.16.0", aliases: []string{"GO-2021-0067"}, advisories: []string{"osv:GO-2021-0067"}, fixed: []string{"1.16.1"}, status: "fixed"}},
		},
		{
			name: "two advisories for one module, pseudo-versions",
			pkgs: []inventory.Package{{Name: "golang.org/x/net", Version: "v0.0.0-20190108225652-1e06a53dbb7e", Ecosystem: inventory.Golang, Locations: loc}},
			want: []want{
				{id: "CVE-2018-17846", pkg: "golang.org/x/net@v0.0.0-20190108225652-1e06a53dbb7e", aliases: []string{"GHSA-vfw5-hrgq-h5wf", "GO-2020-0014"}, advisories: []string{"osv:GO-2020-0014"}, fixed: []string{"0.0.0-20190125091013-d26f9f9a57f3"}, status: "fixed"},
				{id: "CVE-2021-33194", pkg: "golang.org/x/net@v0.0.0-20190108225652-1e06a53dbb7e", aliases: []string{"GHSA-83g2-8m93-v3w7", "GO-2021-0238"}, advisories: []string{"osv:GO-2021-0238"}, fixed: []string{"0.0.0-20210520170846-37e1c6afe023"}, status: "fixed"},
			},
		},
		{
			name: "one CVE from two feeds is one finding",
			pkgs: []inventory.Package{{Name: "lodash", Version: "4.17.20", Ecosystem: inventory.NPM, Locations: loc}, {Name: "lodash", Version: "4.17.21", Ecosystem: inventory.NPM, Locations: loc}},
			want: []want{{id: "CVE-2021-23337", pkg: "lodash@4.17.20", aliases: []string{"GHSA-35jh-r3h4-6jhm"}, advisories: []string{"ghsa-csv:CVE-2021-23337", "osv:GHSA-35jh-r3h4-6jhm"}, fixed: []string{"4.17.21"}, status: "fixed", severity: finding.High}},
		},
		{
			// RustSec's "related" names a similar Go CVE, not this one.
			name: "related ids of a language advisory are not its CVEs",
			pkgs: []inventory.Package{{Name: "webpki", Version: "0.22.1", Ecosystem: inventory.Cargo, Locations: loc}},
			want: []want{{id: "GHSA-8qv2-5vq6-g2g7", pkg: "webpki@0.22.1", aliases: []string{"RUSTSEC-2023-0052"}, advisories: []string{"osv:RUSTSEC-2023-0052"}, fixed: []string{"0.22.2"}, status: "fixed"}},
		},
		{
			// AlmaLinux lists the CVE an advisory fixes under "related".
			name:   "a distribution advisory's related CVE is its CVE",
			distro: &inventory.Distro{ID: "almalinux", VersionID: "8.4"},
			pkgs: []inventory.Package{
				{Name: "gupnp", Version: "1.0.6-1.el8", Ecosystem: inventory.RPM, Locations: loc},
				{Name: "gupnp-devel", Version: "1.0.6-2.el8_4", Ecosystem: inventory.RPM, Locations: loc},
			},
			want: []want{{id: "CVE-2021-33516", pkg: "gupnp@1.0.6-1.el8", aliases: []string{"ALSA-2021:2363"}, advisories: []string{"osv:ALSA-2021:2363"}, fixed: []string{"1.0.6-2.el8_4"}, status: "fixed"}},
		},
		{
			name:   "a DSA about several CVEs folds into the per-CVE findings",
			distro: &inventory.Distro{ID: "debian", VersionID: "11"},
			pkgs:   []inventory.Package{{Name: "chromium", Version: "108.0.5359.94-1~deb11u1", Ecosystem: inventory.Deb, Locations: loc}},
			want: []want{
				{id: "CVE-2023-0696", pkg: "chromium@108.0.5359.94-1~deb11u1", aliases: []string{"DEBIAN-CVE-2023-0696", "DSA-5345-1"}, advisories: []string{"debian:DEBIAN-CVE-2023-0696", "debian:DSA-5345-1"}, fixed: []string{"110.0.5481.77-1~deb11u1"}, status: "fixed", severity: finding.High},
				{id: "CVE-2023-0697", pkg: "chromium@108.0.5359.94-1~deb11u1", aliases: []string{"DEBIAN-CVE-2023-0697", "DSA-5345-1"}, advisories: []string{"debian:DEBIAN-CVE-2023-0697", "debian:DSA-5345-1"}, fixed: []string{"110.0.5481.77-1~deb11u1"}, status: "fixed", severity: finding.Medium},
			},
		},
		{
			name:   "a DSA alone is its own finding; other releases do not match",
			distro: &inventory.Distro{ID: "debian", VersionID: "11"},
			pkgs: []inventory.Package{
				{Name: "chromium-other", Version: "108.0.5359.94-1~deb11u1", Ecosystem: inventory.Deb, Locations: loc},
			},
			want: []want{{id: "DSA-5345-1", pkg: "chromium-other@108.0.5359.94-1~deb11u1", aliases: []string{"CVE-2023-0696", "CVE-2023-0697"}, advisories: []string{"debian:DSA-5345-1"}, fixed: []string{"110.0.5481.77-1~deb11u1"}, status: "fixed"}},
		},
		{
			name:   "Debian 12 is not Debian 11",
			distro: &inventory.Distro{ID: "debian", VersionID: "12"},
			pkgs:   []inventory.Package{{Name: "chromium", Version: "108.0.5359.94-1~deb11u1", Ecosystem: inventory.Deb, Locations: loc}},
		},
		{
			name:   "Debian binary packages match by source package and source version",
			distro: &inventory.Distro{ID: "debian", VersionID: "11"},
			pkgs: []inventory.Package{{Name: "chromium-common", Version: "108.0.5359.94-1~deb11u1+b1", Ecosystem: inventory.Deb, Locations: loc,
				Source: &inventory.SourcePackage{Name: "chromium-other", Version: "108.0.5359.94-1~deb11u1"}}},
			want: []want{{id: "DSA-5345-1", pkg: "chromium-common@108.0.5359.94-1~deb11u1+b1", aliases: []string{"CVE-2023-0696", "CVE-2023-0697"}, advisories: []string{"debian:DSA-5345-1"}, fixed: []string{"110.0.5481.77-1~deb11u1"}, status: "fixed"}},
		},
		{
			name:   "a language package the distribution judged is left to the distribution",
			distro: &inventory.Distro{ID: "debian", VersionID: "11"},
			pkgs: []inventory.Package{
				// Hypothetical ownership: the point is the rule, not the package.
				{Name: "chromium", Version: "110.0.5481.77-1~deb11u1", Ecosystem: inventory.Deb, Locations: loc},
				{Name: "lodash", Version: "4.17.20", Ecosystem: inventory.NPM, Locations: loc, OwnedBy: "deb:chromium"},
			},
			want: []want{{id: "CVE-2021-23337", pkg: "lodash@4.17.20", aliases: []string{"GHSA-35jh-r3h4-6jhm"}, advisories: []string{"ghsa-csv:CVE-2021-23337", "osv:GHSA-35jh-r3h4-6jhm"}, fixed: []string{"4.17.21"}, status: "fixed", severity: finding.High}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Match(context.Background(), db, Input{Packages: tc.pkgs, Distro: tc.distro, Target: finding.Target{Kind: "image", Name: "test"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, f := range res.Findings {
				if f.Rule.ID != f.Vuln.ID || f.Rule.Kind != finding.Vulnerability || f.Fingerprint == "" || f.Location.Path != "app/server" {
					t.Errorf("malformed finding %+v", f)
				}
				w := want{id: f.Vuln.ID, pkg: f.Package.Name + "@" + f.Package.Version, aliases: f.Vuln.Aliases, advisories: f.Vuln.Advisories,
					fixed: f.Signals.FixedIn, status: f.Vuln.Status, kev: f.Signals.KEV}
				if tc.want != nil && slices.IndexFunc(tc.want, func(x want) bool { return x.severity != 0 }) >= 0 {
					w.severity = f.Severity
				}
				got = append(got, w)
			}
			// Severity is compared only where the case gives one.
			for i := range got {
				if i < len(tc.want) && tc.want[i].severity == 0 {
					got[i].severity = 0
				}
			}
			if g, w := dump(got), dump(tc.want); g != w {
				t.Errorf("findings:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}

func dump(ws []want) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(strings.Join([]string{w.id, w.pkg, strings.Join(w.aliases, ","), strings.Join(w.advisories, ","), strings.Join(w.fixed, ","), w.status, w.severity.String()}, " | "))
		if w.kev {
			b.WriteString(" | KEV")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
