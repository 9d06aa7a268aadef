package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
)

var day = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// vuln builds a vulnerability finding on a package found at paths.
func vuln(id string, aliases []string, pkgURL string, paths ...string) finding.Finding {
	u, err := parsePURL(pkgURL)
	if err != nil {
		panic(err)
	}
	pkg := &inventory.Package{Name: u.name, Version: u.version, Ecosystem: inventory.Ecosystem(u.typ), PURL: pkgURL}
	for _, p := range paths {
		pkg.Locations = append(pkg.Locations, inventory.Location{Path: p})
	}
	f := finding.Finding{
		Rule:     finding.Rule{ID: id, Kind: finding.Vulnerability},
		Severity: finding.High,
		Target:   finding.Target{Kind: "image", Name: "ghcr.io/example/api:2.4.0"},
		Package:  pkg,
		Vuln:     &finding.Vuln{ID: id, Aliases: aliases, Status: "fixed"},
	}
	if len(paths) > 0 {
		f.Location.Path = paths[0]
	}
	return f
}

func misconfig(rule, path string) finding.Finding {
	return finding.Finding{
		Rule:     finding.Rule{ID: rule, Kind: finding.Misconfig},
		Severity: finding.Medium,
		Target:   finding.Target{Kind: "dir", Name: "."},
		Location: finding.Location{Path: path, StartLine: 3},
	}
}

func ex(id, pkg, path string) Exception {
	return Exception{ID: id, Package: pkg, Path: path, Reason: "accepted", Expires: "2027-03-31", Source: ".pave.yaml:1"}
}

func TestExceptionMatching(t *testing.T) {
	glibc := vuln("CVE-2023-4911", []string{"DSA-5514-1"}, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=debian-12", "var/lib/dpkg/status")
	glibc.Package.Source = &inventory.SourcePackage{Name: "glibc"}
	jackson := vuln("CVE-2020-25649", []string{"GHSA-288c-cq4h-88gq"}, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0", "usr/lib/app/lib/jackson-databind-2.10.0.jar")
	twoCopies := vuln("CVE-2020-25649", nil, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0", "usr/lib/app/a.jar", "opt/tool/a.jar")
	df := misconfig("PAVE-DF-001", "services/api/Dockerfile")
	noPkg := vuln("CVE-2023-4911", nil, "pkg:deb/debian/libc6@2.36", "x")
	noPkg.Package = nil

	tests := []struct {
		name string
		ex   Exception
		f    finding.Finding
		want bool
	}{
		{"id is primary id", ex("CVE-2023-4911", "", ""), glibc, true},
		{"id is alias", ex("DSA-5514-1", "", ""), glibc, true},
		{"id is GHSA alias", ex("GHSA-288c-cq4h-88gq", "", ""), jackson, true},
		{"id case-insensitive", ex("ghsa-288C-CQ4H-88GQ", "", ""), jackson, true},
		{"other id", ex("CVE-2023-4912", "", ""), glibc, false},
		{"package binary name", ex("CVE-2023-4911", "libc6", ""), glibc, true},
		{"package source name", ex("CVE-2023-4911", "glibc", ""), glibc, true},
		{"package other name", ex("CVE-2023-4911", "musl", ""), glibc, false},
		{"package on finding without package", ex("", "libc6", ""), noPkg, false},
		{"purl without version", ex("", "pkg:deb/debian/libc6", ""), glibc, true},
		{"purl with version", ex("", "pkg:deb/debian/libc6@2.36-9+deb12u1", ""), glibc, true},
		{"purl with encoded version and qualifiers", ex("", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=arm64", ""), glibc, true},
		{"purl other version", ex("", "pkg:deb/debian/libc6@2.36-9+deb12u3", ""), glibc, false},
		{"purl other namespace", ex("", "pkg:deb/ubuntu/libc6", ""), glibc, false},
		{"purl maven", ex("CVE-2020-25649", "pkg:maven/com.fasterxml.jackson.core/jackson-databind", ""), jackson, true},
		{"path glob", ex("", "", "usr/lib/app/**"), jackson, true},
		{"path glob single star", ex("", "", "usr/lib/app/*"), jackson, false},
		{"path glob deep", ex("", "", "**/*.jar"), jackson, true},
		{"path leading slash", ex("", "", "/usr/lib/app/lib/*.jar"), jackson, true},
		{"path must cover every copy", ex("CVE-2020-25649", "", "usr/lib/app/*"), twoCopies, false},
		{"path covering every copy", ex("CVE-2020-25649", "", "**/a.jar"), twoCopies, true},
		{"rule id and path", ex("PAVE-DF-001", "", "services/**/Dockerfile"), df, true},
		{"rule id other path", ex("PAVE-DF-001", "", "web/**"), df, false},
		{"rule id only", ex("pave-df-001", "", ""), df, true},
		{"package on misconfig", ex("PAVE-DF-001", "libc6", ""), df, false},
		{"all three", ex("CVE-2020-25649", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0", "usr/lib/**"), jackson, true},
		{"all three, one wrong", ex("CVE-2020-25649", "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1", "usr/lib/**"), jackson, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{Exceptions: []Exception{tt.ex}}
			fs := []finding.Finding{tt.f}
			fs[0].Package = clonePkg(tt.f.Package)
			res, err := p.Apply(fs, day)
			if err != nil {
				t.Fatal(err)
			}
			got := fs[0].Suppressed != nil
			if got != tt.want {
				t.Fatalf("suppressed = %v, want %v", got, tt.want)
			}
			if got {
				want := &finding.Suppression{Kind: KindException, Reason: "accepted", Source: ".pave.yaml:1", Expires: "2027-03-31"}
				if diff := cmp.Diff(want, fs[0].Suppressed); diff != "" {
					t.Errorf("suppression (-want +got):\n%s", diff)
				}
			}
			if stale := len(res.Warnings) > 0 && strings.Contains(res.Warnings[0].Message, "matched no finding"); stale == tt.want {
				t.Errorf("stale warning = %v with match %v: %v", stale, tt.want, res.Warnings)
			}
		})
	}
}

func clonePkg(p *inventory.Package) *inventory.Package {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// TestExpiry: the expiry date is the last valid day; from the next day on
// Apply fails, naming every expired exception, and they suppress nothing.
func TestExpiry(t *testing.T) {
	p := &Policy{Exceptions: []Exception{
		{ID: "CVE-2023-4911", Reason: "r", Expires: "2027-03-31", Source: ".pave.yaml:5", Line: 5},
		{ID: "CVE-2020-25649", Reason: "r", Expires: "2027-06-30", Source: ".pave.yaml:9", Line: 9},
		{Path: "docs/**", Reason: "r", Expires: "2026-01-01", Source: ".pave.yaml:13", Line: 13},
	}}
	findings := func() []finding.Finding {
		return []finding.Finding{
			vuln("CVE-2023-4911", nil, "pkg:deb/debian/libc6@2.36", "var/lib/dpkg/status"),
			vuln("CVE-2020-25649", nil, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0", "app.jar"),
			misconfig("PAVE-DF-001", "docs/Dockerfile"),
		}
	}
	tests := []struct {
		name       string
		today      time.Time
		expired    []string // sources
		suppressed []bool
	}{
		{"last day, morning", time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), []string{".pave.yaml:13"}, []bool{true, true, false}},
		{"last day, late evening", time.Date(2027, 3, 31, 23, 59, 59, 0, time.UTC), []string{".pave.yaml:13"}, []bool{true, true, false}},
		{"day after", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), []string{".pave.yaml:5", ".pave.yaml:13"}, []bool{false, true, false}},
		// The calendar date is taken in today's own location: 23:30 on
		// 31 March in New York is already 1 April in UTC, and still valid.
		{"last day in New York", time.Date(2027, 3, 31, 23, 30, 0, 0, time.FixedZone("EDT", -4*3600)), []string{".pave.yaml:13"}, []bool{true, true, false}},
		{"first of April in Kiritimati", time.Date(2027, 4, 1, 0, 30, 0, 0, time.FixedZone("LINT", 14*3600)), []string{".pave.yaml:5", ".pave.yaml:13"}, []bool{false, true, false}},
		{"all expired", time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), []string{".pave.yaml:5", ".pave.yaml:9", ".pave.yaml:13"}, []bool{false, false, false}},
		{"none expired", time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), nil, []bool{true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := findings()
			res, err := p.Apply(fs, tt.today)
			var ee *ExpiredError
			if tt.expired == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
			} else {
				if !errors.As(err, &ee) {
					t.Fatalf("err = %v, want *ExpiredError", err)
				}
				var got []string
				for _, x := range ee.Expired {
					got = append(got, x.Source)
					if !strings.Contains(err.Error(), x.Source+": "+x.What+" expired on "+x.Expires) {
						t.Errorf("message does not name %s:\n%s", x.Source, err)
					}
				}
				if diff := cmp.Diff(tt.expired, got); diff != "" {
					t.Errorf("expired (-want +got):\n%s", diff)
				}
				if ee.Today != tt.today.Format("2006-01-02") {
					t.Errorf("Today = %s", ee.Today)
				}
			}
			for i, f := range fs {
				if got := f.Suppressed != nil; got != tt.suppressed[i] {
					t.Errorf("finding %d (%s) suppressed = %v, want %v", i, f.Rule.ID, got, tt.suppressed[i])
				}
			}
			// An expired exception still counts its matches and is never
			// reported as stale.
			for _, w := range res.Warnings {
				if strings.Contains(w.Message, "matched no finding") {
					t.Errorf("unexpected stale warning %v", w)
				}
			}
			for _, u := range res.Exceptions {
				if u.Matched != 1 {
					t.Errorf("%s matched %d", u.Source, u.Matched)
				}
			}
		})
	}
}

func TestExpiredErrorMessage(t *testing.T) {
	p := &Policy{Exceptions: []Exception{{ID: "CVE-2023-4911", Package: "glibc", Reason: "r", Expires: "2026-11-24", Source: ".pave.yaml:12"}}}
	_, err := p.Apply(nil, day)
	want := "policy: 1 exception has expired (today is 2026-11-25); renew each with a new date and reason, or remove it:\n\t.pave.yaml:12: CVE-2023-4911 package glibc expired on 2026-11-24"
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestWarnings(t *testing.T) {
	p := &Policy{Exceptions: []Exception{
		{ID: "CVE-1", Reason: "r", Expires: "2026-11-25", Source: "c:1"}, // last day today, matches
		{ID: "CVE-2", Reason: "r", Expires: "2026-12-01", Source: "c:2"}, // in 6 days, stale
		{ID: "CVE-3", Reason: "r", Expires: "2026-11-26", Source: "c:3"}, // tomorrow, matches
		{ID: "CVE-4", Reason: "r", Expires: "2027-12-01", Source: "c:4"}, // fine
	}}
	fs := []finding.Finding{
		vuln("CVE-1", nil, "pkg:npm/a@1"),
		vuln("CVE-3", nil, "pkg:npm/a@1"),
		vuln("CVE-4", nil, "pkg:npm/a@1"),
	}
	res, err := p.Apply(fs, day)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"c:1: exception CVE-1 expires after 2026-11-25 (today is its last day)",
		"c:2: exception CVE-2 matched no finding; remove it if it is no longer needed",
		"c:2: exception CVE-2 expires after 2026-12-01 (its last day is in 6 days)",
		"c:3: exception CVE-3 expires after 2026-11-26 (tomorrow is its last day)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestApplyRejectsInvalidException(t *testing.T) {
	p := &Policy{Exceptions: []Exception{{ID: "CVE-1", Expires: "2027-01-01"}}}
	fs := []finding.Finding{vuln("CVE-1", nil, "pkg:npm/a@1")}
	if _, err := p.Apply(fs, day); err == nil || !strings.Contains(err.Error(), "reason is required") {
		t.Errorf("err = %v", err)
	}
	if fs[0].Suppressed != nil {
		t.Error("finding touched")
	}
}

func mustVEX(t testing.TB, name string) *VEXDocument {
	t.Helper()
	d, err := ReadVEX("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPrecedence: an exception beats VEX, VEX beats --ignore-unfixed, and
// an "affected" statement does not stop either of the others.
func TestPrecedence(t *testing.T) {
	embedded := mustVEX(t, "cyclonedx/pave-embedded-1.6.cdx.json")
	xnet := func() finding.Finding {
		f := vuln("CVE-2023-44487", []string{"GHSA-qppj-fm5r-hxr3", "GO-2023-2102"}, "pkg:golang/golang.org/x/net@v0.15.0", "app/server")
		f.Vuln.Status = "unfixed"
		return f
	}
	xcrypto := func() finding.Finding { // exploitable per VEX
		f := vuln("CVE-2024-45337", []string{"GHSA-v778-237x-gjrc"}, "pkg:golang/golang.org/x/crypto@v0.30.0", "app/server")
		f.Vuln.Status = "wont-fix"
		return f
	}
	tests := []struct {
		name     string
		p        Policy
		f        finding.Finding
		wantKind string
	}{
		{"exception over vex", Policy{Exceptions: []Exception{ex("GO-2023-2102", "", "")}, VEX: []*VEXDocument{embedded}, IgnoreUnfixed: true}, xnet(), KindException},
		{"vex over unfixed", Policy{VEX: []*VEXDocument{embedded}, IgnoreUnfixed: true}, xnet(), KindVEX},
		{"unfixed alone", Policy{IgnoreUnfixed: true}, xnet(), KindUnfixed},
		{"affected then unfixed", Policy{VEX: []*VEXDocument{embedded}, IgnoreUnfixed: true}, xcrypto(), KindUnfixed},
		{"affected alone", Policy{VEX: []*VEXDocument{embedded}}, xcrypto(), ""},
		{"affected then exception", Policy{Exceptions: []Exception{ex("CVE-2024-45337", "", "")}, VEX: []*VEXDocument{embedded}}, xcrypto(), KindException},
		{"fixed status not unfixed", Policy{IgnoreUnfixed: true}, vuln("CVE-1", nil, "pkg:npm/a@1"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []finding.Finding{tt.f}
			res, err := tt.p.Apply(fs, day)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if fs[0].Suppressed != nil {
				got = fs[0].Suppressed.Kind
			}
			if got != tt.wantKind {
				t.Errorf("kind = %q, want %q (%+v)", got, tt.wantKind, fs[0].Suppressed)
			}
			if got != "" && res.Suppressed[got] != 1 {
				t.Errorf("Result.Suppressed = %v", res.Suppressed)
			}
		})
	}
}

// TestApplyRecomputes: suppressions Apply owns are recomputed on a second
// run; other kinds are left alone.
func TestApplyRecomputes(t *testing.T) {
	fs := []finding.Finding{vuln("CVE-1", nil, "pkg:npm/a@1"), vuln("CVE-2", nil, "pkg:npm/a@1")}
	fs[0].Suppressed = &finding.Suppression{Kind: KindVEX, Reason: "old", Source: "old.json"}
	fs[1].Suppressed = &finding.Suppression{Kind: "baseline", Reason: "accepted in review", Source: "server"}
	p := &Policy{Exceptions: []Exception{ex("CVE-2", "", "")}}
	res, err := p.Apply(fs, day)
	if err != nil {
		t.Fatal(err)
	}
	if fs[0].Suppressed != nil {
		t.Errorf("stale vex suppression kept: %+v", fs[0].Suppressed)
	}
	if fs[1].Suppressed.Kind != "baseline" {
		t.Errorf("foreign suppression replaced: %+v", fs[1].Suppressed)
	}
	if res.Exceptions[0].Matched != 1 || len(res.Suppressed) != 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestVEXUbuntu(t *testing.T) {
	doc := mustVEX(t, "openvex/ubuntu-CVE-2023-38545.json")
	const src = "https://github.com/canonical/ubuntu-security-notices/blob/main/vex/cve/2023/CVE-2023-38545"
	tests := []struct {
		name   string
		f      finding.Finding
		want   *finding.Suppression
		kept   int
		status VEXStatus
	}{
		{"fixed version in jammy", vuln("CVE-2023-38545", nil, "pkg:deb/ubuntu/libcurl4@7.81.0-1ubuntu1.24?arch=amd64&distro=ubuntu-22.04&upstream=curl", "var/lib/dpkg/status"),
			&finding.Suppression{Kind: KindVEX, Reason: "fixed: This package (for the given release) was vulnerable, but an update has been uploaded and published.", Source: src}, 0, Fixed},
		{"trusty not affected", vuln("CVE-2023-38545", nil, "pkg:deb/ubuntu/curl@7.35.0-1ubuntu2.20+esm19?arch=amd64", "var/lib/dpkg/status"),
			&finding.Suppression{Kind: KindVEX, Reason: "vulnerable_code_not_present: This package (for the given release), while related to the CVE in some way, is not affected by the issue. CVE Notes / justification: affects 7.69 and higher introduced in https://github.com/curl/curl/commit/4a4b63daaa", Source: src}, 0, NotAffected},
		{"xenial affected", vuln("CVE-2023-38545", nil, "pkg:deb/ubuntu/curl@7.47.0-1ubuntu2.19?arch=amd64", "var/lib/dpkg/status"), nil, 1, Affected},
		{"older jammy version", vuln("CVE-2023-38545", nil, "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.13?arch=amd64", "var/lib/dpkg/status"), nil, 0, ""},
		{"other CVE", vuln("CVE-2023-38546", nil, "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24?arch=amd64", "var/lib/dpkg/status"), nil, 0, ""},
		{"matched through alias", vuln("GHSA-none", []string{"CVE-2023-38545"}, "pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.24", "var/lib/dpkg/status"),
			&finding.Suppression{Kind: KindVEX, Reason: "fixed: This package (for the given release) was vulnerable, but an update has been uploaded and published.", Source: src}, 0, Fixed},
		{"debian package of the same name", vuln("CVE-2023-38545", nil, "pkg:deb/debian/curl@7.81.0-1ubuntu1.24", "var/lib/dpkg/status"), nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []finding.Finding{tt.f}
			res, err := (&Policy{VEX: []*VEXDocument{doc}}).Apply(fs, day)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, fs[0].Suppressed); diff != "" {
				t.Errorf("suppression (-want +got):\n%s", diff)
			}
			if res.VEX[0].Kept != tt.kept {
				t.Errorf("kept = %d, want %d", res.VEX[0].Kept, tt.kept)
			}
		})
	}
}

func TestVEXImageSubcomponents(t *testing.T) {
	doc := mustVEX(t, "openvex/rancher-rancher-webhook.json")
	ncurses := func(target string) finding.Finding {
		f := vuln("SUSE-SU-2026:1510-1", nil, "pkg:rpm/suse/libncurses6@6.1-150000.5.30.1?arch=x86_64&distro=sles-15.6", "usr/lib/sysimage/rpm/Packages.db")
		f.Target = finding.Target{Kind: "image", Name: target}
		return f
	}
	for _, tt := range []struct {
		target string
		want   bool
	}{
		{"registry.rancher.com/rancher/rancher-webhook:v0.7.1", true},
		{"registry.rancher.com/rancher/rancher-webhook", true},
		{"registry.suse.com/rancher/rancher-webhook:v0.7.1", false}, // another registry
		{"registry.rancher.com/rancher/fleet:v0.12.0", false},
	} {
		fs := []finding.Finding{ncurses(tt.target)}
		if _, err := (&Policy{VEX: []*VEXDocument{doc}}).Apply(fs, day); err != nil {
			t.Fatal(err)
		}
		if got := fs[0].Suppressed != nil; got != tt.want {
			t.Errorf("%s: suppressed = %v, want %v", tt.target, got, tt.want)
		}
	}
	// A directory scan is never the image product.
	f := ncurses("registry.rancher.com/rancher/rancher-webhook")
	f.Target.Kind = "dir"
	fs := []finding.Finding{f}
	if _, err := (&Policy{VEX: []*VEXDocument{doc}}).Apply(fs, day); err != nil || fs[0].Suppressed != nil {
		t.Errorf("dir target suppressed: %+v %v", fs[0].Suppressed, err)
	}
}

// TestVEXPackageSubcomponents: a statement about a module inside a Go
// binary applies only where that binary's main module is found, at every
// path of the finding.
func TestVEXPackageSubcomponents(t *testing.T) {
	doc := mustVEX(t, "openvex/rancher-supercronic.json")
	inv := []inventory.Package{
		{Name: "github.com/aptible/supercronic", Version: "v0.2.26", PURL: "pkg:golang/github.com/aptible/supercronic@v0.2.26", Locations: []inventory.Location{{Path: "usr/local/bin/supercronic"}}},
		{Name: "stdlib", Version: "1.20.5", PURL: "pkg:golang/stdlib@1.20.5", Locations: []inventory.Location{{Path: "usr/local/bin/supercronic"}, {Path: "usr/local/bin/other"}}},
	}
	stdlib := func(paths ...string) finding.Finding {
		return vuln("CVE-2025-61725", []string{"GO-2025-4006"}, "pkg:golang/stdlib@1.20.5", paths...)
	}
	tests := []struct {
		name string
		pkgs []inventory.Package
		f    finding.Finding
		want bool
	}{
		{"inside the product", inv, stdlib("usr/local/bin/supercronic"), true},
		{"by GO alias", inv, vuln("GO-2025-4006", nil, "pkg:golang/stdlib@1.20.5", "usr/local/bin/supercronic"), true},
		{"also in another binary", inv, stdlib("usr/local/bin/supercronic", "usr/local/bin/other"), false},
		{"only in another binary", inv, stdlib("usr/local/bin/other"), false},
		{"no inventory", nil, stdlib("usr/local/bin/supercronic"), false},
		{"other stdlib version", inv, vuln("CVE-2025-61725", nil, "pkg:golang/stdlib@1.20.6", "usr/local/bin/supercronic"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []finding.Finding{tt.f}
			if _, err := (&Policy{VEX: []*VEXDocument{doc}, Packages: tt.pkgs}).Apply(fs, day); err != nil {
				t.Fatal(err)
			}
			if got := fs[0].Suppressed != nil; got != tt.want {
				t.Errorf("suppressed = %v, want %v", got, tt.want)
			}
			if tt.want && fs[0].Suppressed.Reason != "vulnerable_code_not_present: Govulncheck determined that the vulnerable code isn't called" {
				t.Errorf("reason = %q", fs[0].Suppressed.Reason)
			}
		})
	}
}

// TestVEXOverride: the latest statement about a vulnerability and product
// decides, across statements and documents; equal times go to the later.
func TestVEXOverride(t *testing.T) {
	git := func() []finding.Finding {
		return []finding.Finding{vuln("CVE-2023-12345", nil, "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", "lib/apk/db/installed")}
	}
	// In the spec's example the second statement inherits the newer
	// document timestamp, so "fixed" overrides "under_investigation".
	spec := mustVEX(t, "openvex/spec-inheritance.json")
	fs := git()
	if _, err := (&Policy{VEX: []*VEXDocument{spec}}).Apply(fs, day); err != nil || fs[0].Suppressed == nil || fs[0].Suppressed.Reason != "fixed" {
		t.Fatalf("spec example: %+v %v", fs[0].Suppressed, err)
	}

	// The 1.5 BOM-Link document says "exploitable" after the 1.6 document
	// said "not_affected": kept, whatever the order the documents are given.
	embedded := mustVEX(t, "cyclonedx/pave-embedded-1.6.cdx.json")
	later := mustVEX(t, "cyclonedx/pave-bomlink-1.5.cdx.json")
	xnet := func() []finding.Finding {
		return []finding.Finding{vuln("CVE-2023-44487", nil, "pkg:golang/golang.org/x/net@v0.15.0", "app/server")}
	}
	for _, docs := range [][]*VEXDocument{{embedded, later}, {later, embedded}} {
		fs := xnet()
		res, err := (&Policy{VEX: docs}).Apply(fs, day)
		if err != nil {
			t.Fatal(err)
		}
		if fs[0].Suppressed != nil {
			t.Errorf("later exploitable statement ignored: %+v", fs[0].Suppressed)
		}
		if res.VEX[0].Kept+res.VEX[1].Kept != 1 {
			t.Errorf("VEX use = %+v", res.VEX)
		}
	}

	// Equal timestamps: the later document wins.
	mk := func(status, just string) *VEXDocument {
		d, err := ParseOpenVEX([]byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"`+status+`","timestamp":"2025-01-01T00:00:00Z","statements":[{"vulnerability":{"name":"CVE-2023-12345"},"products":[{"@id":"pkg:apk/wolfi/git"}],"status":"`+status+`","justification":"`+just+`"}]}`), status+".json")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	na, aff := mk("not_affected", "component_not_present"), mk("affected", "")
	for _, tt := range []struct {
		docs []*VEXDocument
		want bool
	}{{[]*VEXDocument{na, aff}, false}, {[]*VEXDocument{aff, na}, true}} {
		fs := git()
		if _, err := (&Policy{VEX: tt.docs}).Apply(fs, day); err != nil {
			t.Fatal(err)
		}
		if got := fs[0].Suppressed != nil; got != tt.want {
			t.Errorf("%s then %s: suppressed = %v", tt.docs[0].ID, tt.docs[1].ID, got)
		}
	}
}

func TestVEXCycloneDX(t *testing.T) {
	embedded := mustVEX(t, "cyclonedx/pave-embedded-1.6.cdx.json")
	later := mustVEX(t, "cyclonedx/pave-bomlink-1.5.cdx.json")
	examples := mustVEX(t, "cyclonedx/bom-examples-vex.json")
	const serial = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b80"
	tests := []struct {
		name string
		f    finding.Finding
		want *finding.Suppression
	}{
		{"false positive by GHSA", vuln("GHSA-w596-4wvx-j9j6", []string{"CVE-2022-42969", "PYSEC-2022-42969"}, "pkg:pypi/py@1.11.0", "usr/lib/python3/dist-packages/py-1.11.0.dist-info/METADATA"),
			&finding.Suppression{Kind: KindVEX, Reason: "false_positive: The ReDoS is in py.path.svnwc, which is only used with a Subversion working copy; the image has none.", Source: serial}},
		{"resolved in deb12u3 does not cover deb12u1", vuln("CVE-2023-4911", nil, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64", "var/lib/dpkg/status"), nil},
		// The ref's PURL pins deb12u1 and versions say deb12u3: both must hold.
		{"resolved: ref and versions disagree", vuln("CVE-2023-4911", nil, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64", "var/lib/dpkg/status"), nil},
		{"whole image", vuln("CVE-2021-44228", []string{"GHSA-jfh8-c2jp-5v3q"}, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "app/lib/log4j-core-2.14.1.jar"),
			&finding.Suppression{Kind: KindVEX, Reason: "requires_dependency: log4j-core is not on the class path of this image.", Source: serial}},
		{"zlib: later standalone VEX", vuln("CVE-2023-45853", nil, "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64", "var/lib/dpkg/status"),
			&finding.Suppression{Kind: KindVEX, Reason: "code_not_present: Debian builds MiniZip into libminizip1, which the image does not install; zlib1g has no MiniZip code.", Source: "urn:uuid:9c7b1f9e-6d3e-4a8e-9d6c-0f2a1b3c4d5e"}},
		{"bom-examples BOM-Link to a PURL", vuln("CVE-2020-25649", []string{"GHSA-288c-cq4h-88gq"}, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar", "app.jar"),
			&finding.Suppression{Kind: KindVEX, Reason: "code_not_reachable: Automated dataflow analysis and manual code review indicates that the vulnerable code is not reachable, either directly or indirectly.", Source: "testdata/cyclonedx/bom-examples-vex.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := []finding.Finding{tt.f}
			if _, err := (&Policy{VEX: []*VEXDocument{embedded, later, examples}}).Apply(fs, day); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, fs[0].Suppressed); diff != "" {
				t.Errorf("suppression (-want +got):\n%s", diff)
			}
		})
	}
	// The container product is the image by name and tag.
	f := vuln("CVE-2021-44228", nil, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "a.jar")
	f.Target.Name = "ghcr.io/example/api:2.5.0"
	fs := []finding.Finding{f}
	if _, err := (&Policy{VEX: []*VEXDocument{embedded}}).Apply(fs, day); err != nil || fs[0].Suppressed != nil {
		t.Errorf("statement about tag 2.4.0 applied to 2.5.0: %+v %v", fs[0].Suppressed, err)
	}
}
