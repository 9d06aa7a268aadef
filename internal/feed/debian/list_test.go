package debian

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/osv"

	"github.com/pavesec/pave/internal/feed/feedtest"
)

func TestListMatch(t *testing.T) {
	p := NewList()
	for path, want := range map[string]bool{
		"data/DSA/list":                      true,
		"DLA/list":                           true,
		"security-tracker/data/DTSA/list.gz": true,
		"vuln-list-debian/tracker/DSA/DSA-3714-1.json": true,
		"tracker/DLA/DLA-2691-1.json":                  true,
		"DSA/DSA-141.json":                             true,
		"tracker/CVE/CVE-2021-3450.json":               false,
		"data/CVE/list":                                false,
		"list":                                         false,
		"DSA/listing":                                  false,
	} {
		if got := p.Match(path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestListGolden converts the real excerpts.
func TestListGolden(t *testing.T) {
	for _, f := range []struct{ path, golden string }{
		{"list/DSA/list", "list/DSA.golden.json"},
		{"list/DLA/list", "list/DLA.golden.json"},
		{"list/DTSA/list", "list/DTSA.golden.json"},
		{"list/DSA/vunnel-list", "list/vunnel.golden.json"},
		{"vuln-list-debian/tracker/DSA/DSA-3714-1.json", "vuln-list-debian/DSA-3714-1.golden.json"},
		{"vuln-list-debian/tracker/DLA/DLA-2691-1.json", "vuln-list-debian/DLA-2691-1.golden.json"},
	} {
		t.Run(f.path, func(t *testing.T) {
			path := f.path
			if strings.HasSuffix(path, "vunnel-list") {
				path = "DSA/list"
			}
			c, err := run(NewList(), path, feedtest.Read(t, "testdata/"+f.path))
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Advisories {
				checkRecord(t, &c.Advisories[i])
			}
			feedtest.Golden(t, f.golden, c.Advisories)
		})
	}
}

// listCounts counts a list independently of the parser: entries (header
// lines) and entries with at least one package line that is not
// <not-affected> or <itp>.
func listCounts(data []byte) (entries, withPackage int) {
	pkgLine := regexp.MustCompile(`^\s+(\[[a-z]+\] )?- `)
	sc := bufio.NewScanner(bytes.NewReader(data))
	has := false
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "["):
			entries++
			has = false
		case !has && pkgLine.MatchString(l) && !strings.Contains(l, "<not-affected>") && !strings.Contains(l, "<itp>"):
			has = true
			withPackage++
		}
	}
	return entries, withPackage
}

// TestListRealFiles parses every entry of the real DSA, DLA and DTSA
// lists (security-tracker at 32127b7f, 2023-04-02).
func TestListRealFiles(t *testing.T) {
	for _, tc := range []struct {
		kind             string
		entries, records int
	}{
		{"DSA", 5406, 5381},
		{"DLA", 3534, 3530},
		{"DTSA", 208, 207},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			data := feedtest.Read(t, feedtest.Vulndata(t, "debian-dsa-dla-2023/data/"+tc.kind+"/list"))
			entries, withPackage := listCounts(data)
			if entries != tc.entries || withPackage != tc.records {
				t.Fatalf("independent count: %d entries, %d with packages; want %d, %d", entries, withPackage, tc.entries, tc.records)
			}
			c, err := run(NewList(), "data/"+tc.kind+"/list", data)
			if err != nil {
				t.Fatalf("real list does not parse: %v", err)
			}
			if len(c.Advisories) != tc.records {
				t.Errorf("%d records, want %d", len(c.Advisories), tc.records)
			}
			seen := map[string]bool{}
			for i := range c.Advisories {
				r := &c.Advisories[i]
				checkRecord(t, r)
				if !strings.HasPrefix(r.ID, tc.kind+"-") || r.Published == nil || r.Published.Year() < 1999 {
					t.Errorf("record %q published %v", r.ID, r.Published)
				}
				seen[r.ID] = true
			}
			t.Logf("%s: %d entries, %d records, %d distinct ids", tc.kind, entries, len(c.Advisories), len(seen))
		})
	}
}

// TestListFacts checks records of the real excerpt against the list
// text, read by eye.
func TestListFacts(t *testing.T) {
	c, err := run(NewList(), "DSA/list", feedtest.Read(t, "testdata/list/DSA/list"))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]osv.Record{}
	for _, r := range c.Advisories {
		by[r.ID] = r
	}
	// [17 Mar 2023] DSA-5375-1 thunderbird - security update
	//	{CVE-2023-25751 CVE-2023-25752 CVE-2023-28162 CVE-2023-28164 CVE-2023-28176}
	//	[bullseye] - thunderbird 1:102.9.0-1~deb11u1
	date := time.Date(2023, 3, 17, 0, 0, 0, 0, time.UTC)
	want := osv.Record{
		ID: "DSA-5375-1", Modified: date, Published: &date,
		Upstream: []string{"CVE-2023-25751", "CVE-2023-25752", "CVE-2023-28162", "CVE-2023-28164", "CVE-2023-28176"},
		Summary:  "thunderbird - security update",
		Affected: []osv.Affected{{
			Package: osv.Package{Ecosystem: "Debian:11", Name: "thunderbird"},
			Ranges:  []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "1:102.9.0-1~deb11u1"}}}},
		}},
		References: []osv.Reference{{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/DSA-5375-1"}},
	}
	if diff := cmp.Diff(want, by["DSA-5375-1"]); diff != "" {
		t.Errorf("DSA-5375-1 (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		id, pkg, eco, fixed, specific string
	}{
		// [woody] - xloadimage 4.1-10woody2 (bug #332524; medium)
		{"DSA-858-1", "xloadimage", "Debian:3.0", "4.1-10woody2", `{"severity":"medium"}`},
		// [woody] - phpgroupware <unfixed> (high)
		{"DSA-746-1", "phpgroupware", "Debian:3.0", "", `{"severity":"high"}`},
		// [jessie] - virtualbox <end-of-life>
		{"DSA-3699-1", "virtualbox", "Debian:8", "", `{"status":"end-of-life","wont-fix":true}`},
		// [woody] - kernel-image-2.4.17-ia64 kernel-image-2.4.17-ia64: kept verbatim
		{"DSA-423", "kernel-image-2.4.17-ia64", "Debian:3.0", "kernel-image-2.4.17-ia64", ""},
		// [woody] - gps  0.9.4-1woody1 (two spaces)
		{"DSA-307", "gps", "Debian:3.0", "0.9.4-1woody1", ""},
	} {
		r, ok := by[tc.id]
		if !ok {
			t.Errorf("no record %s", tc.id)
			continue
		}
		var a *osv.Affected
		for i := range r.Affected {
			if p := r.Affected[i].Package; p.Name == tc.pkg && p.Ecosystem == tc.eco {
				a = &r.Affected[i]
			}
		}
		if a == nil {
			t.Errorf("%s: no %s in %+v", tc.id, tc.pkg, r.Affected)
			continue
		}
		fixed := ""
		if ev := a.Ranges[0].Events; len(ev) == 2 {
			fixed = ev[1].Fixed
		}
		if a.Package.Ecosystem != tc.eco || fixed != tc.fixed || string(a.EcosystemSpecific) != tc.specific {
			t.Errorf("%s %s: %s fixed %q specific %s; want %s %q %s", tc.id, tc.pkg, a.Package.Ecosystem, fixed, a.EcosystemSpecific, tc.eco, tc.fixed, tc.specific)
		}
	}
	if r := by["DSA-858-1"]; len(r.References) != 2 || r.References[1].URL != "https://bugs.debian.org/332524" {
		t.Errorf("DSA-858-1 references: %+v", r.References)
	}
	// Announcements and DSA-5368-1 (no package line) make no record.
	for _, id := range []string{"DSA-3281-1", "DSA-4205-1", "DSA-5368-1"} {
		if _, ok := by[id]; ok {
			t.Errorf("record for %s, which names no package", id)
		}
	}
}

// TestListAnnotations covers the annotation grammar and its errors.
func TestListAnnotations(t *testing.T) {
	open := osv.Range{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}}}
	tests := []struct {
		name    string
		in      string
		want    *osv.Record // nil: no record
		wantErr string
	}{
		{name: "markers", in: "[01 Jan 2024] DLA-1-1 p - security update\n" +
			"\t{CVE-2024-0001 DSA-5-1 VU#123456 CVE-2024-0001}\n" +
			"\t[buster] - p <no-dsa> (Minor issue)\n" +
			"\t[bullseye] - p <postponed> (Fix along in next DSA; low)\n" +
			"\t[bookworm] - p <undetermined>\n" +
			"\t[stretch] - p <removed>\n" +
			"\t[jessie] - p <not-affected> (Vulnerable code not present)\n" +
			"\t- p 1.2-1 (bug #12345)\n" +
			"\t- p 1.3-1\n" +
			"\tTODO: check\n",
			want: &osv.Record{ID: "DLA-1-1", Upstream: []string{"CVE-2024-0001"}, Related: []string{"DSA-5-1"}, Summary: "p - security update",
				Affected: []osv.Affected{
					{Package: osv.Package{Ecosystem: "Debian:10", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"status":"no-dsa","nodsa":"Minor issue","wont-fix":true}`)},
					{Package: osv.Package{Ecosystem: "Debian:11", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"severity":"low","status":"postponed","nodsa":"Fix along in next DSA","nodsa_reason":"postponed"}`)},
					{Package: osv.Package{Ecosystem: "Debian:12", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"status":"undetermined"}`)},
					{Package: osv.Package{Ecosystem: "Debian:9", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"status":"removed"}`)},
					{Package: osv.Package{Ecosystem: "Debian:unstable", Name: "p"}, Ranges: []osv.Range{
						{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "1.2-1"}}},
						{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "1.3-1"}}},
					}},
				},
				References: []osv.Reference{
					{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/DLA-1-1"},
					{Type: "ADVISORY", URL: "https://www.kb.cert.org/vuls/id/123456"},
					{Type: "REPORT", URL: "https://bugs.debian.org/12345"},
				}}},
		{name: "bad lines are named and skipped",
			in: "\t[sid] - orphan 1\n" +
				"[1 Foo 2024] DSA-1-1 x\n" +
				"\t[sid] - x 1\n" +
				"[02 Jan 2024] DSA-2-1 y - update\n" +
				"\t[hurd] - y 1\n" +
				"\t[sid] - y <fixed>\n" +
				"\t[sid] - y 1 2\n" +
				"\t{CVE-2024-1 GHSA-x}\n" +
				"\t{CVE-2024-0002\n" +
				"\t[sid] - ../y 1\n" +
				"\t[sid] - y 1.0\n" +
				"not a header\n",
			want: &osv.Record{ID: "DSA-2-1", Summary: "y - update",
				Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:unstable", Name: "y"},
					Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "1.0"}}}}}},
				References: []osv.Reference{{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/DSA-2-1"}}},
			wantErr: strings.Join([]string{
				"debian-list: t: line 1: annotation outside an advisory",
				`debian-list: t: line 2: DSA-1-1: bad date "1 Foo 2024"`,
				`debian-list: t: line 5 (DSA-2-1): unknown release "hurd"`,
				`debian-list: t: line 6 (DSA-2-1): unknown marker "<fixed>"`,
				`debian-list: t: line 7 (DSA-2-1): want a package line "[release] - package version", got "[sid] - y 1 2"`,
				`debian-list: t: line 8 (DSA-2-1): cross reference "CVE-2024-1" is not a CVE, DSA, DLA, DTSA or VU# id`,
				`debian-list: t: line 9 (DSA-2-1): cross reference without a closing brace: "{CVE-2024-0002"`,
				`debian-list: t: line 10 (DSA-2-1): "../y" is not a package name`,
				`debian-list: t: line 12: want an advisory header "[date] DSA-n-n …", got "not a header"`,
			}, "\n")},
		{name: "DTSA date", in: "[September 1st, 2005] DTSA-8-2 f - update\n\t[etch] - f 1 (medium)\n",
			want: &osv.Record{ID: "DTSA-8-2", Summary: "f - update",
				Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:4.0", Name: "f"},
					Ranges:            []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "1"}}}},
					EcosystemSpecific: json.RawMessage(`{"severity":"medium"}`)}},
				References: []osv.Reference{{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/DTSA-8-2"}}}},
		{name: "only not-affected", in: "[02 Jan 2024] DSA-2-1 y\n\t[sid] - y <not-affected>\n"},
		{name: "empty", in: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := run(NewList(), "t", []byte(tc.in))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("error:\n%s\nwant:\n%s", gotErr, tc.wantErr)
			}
			if tc.want == nil {
				if len(c.Advisories) != 0 {
					t.Errorf("got %+v, want no record", c.Advisories)
				}
				return
			}
			if len(c.Advisories) != 1 {
				t.Fatalf("got %d records, want 1", len(c.Advisories))
			}
			got := c.Advisories[0]
			got.Modified, got.Published = time.Time{}, nil
			if diff := cmp.Diff(*tc.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListLongLine(t *testing.T) {
	in := "[02 Jan 2024] DSA-2-1 y\n\t" + strings.Repeat("x", maxListLine+1) + "\n"
	_, err := run(NewList(), "t", []byte(in))
	if err == nil || !strings.Contains(err.Error(), "debian-list: read t after line 1: bufio.Scanner: token too long") {
		t.Errorf("error = %v", err)
	}
}

func TestVulnListErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"Header":{}}`: "debian-list: parse DSA/DSA-1-1.json: no Header.Original",
		`[`:             "debian-list: parse DSA/DSA-1-1.json: unexpected end of JSON input",
	} {
		_, err := run(NewList(), "DSA/DSA-1-1.json", []byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", in, err, want)
		}
	}
}

func FuzzList(f *testing.F) {
	f.Add(feedtest.Read(f, "testdata/list/DSA/list"))
	f.Add(feedtest.Read(f, "testdata/list/DTSA/list"))
	f.Add([]byte("[01 Jan 2024] DLA-1-1 p\n\t{CVE-2024-0001}\n\t[buster] - p <no-dsa> (Minor issue)\n\t- p 1.2-1 (bug #1; low)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := run(NewList(), "fuzz", data)
		for i := range c.Advisories {
			r := &c.Advisories[i]
			checkRecord(t, r)
			if !reAdvID.MatchString(r.ID) {
				t.Fatalf("bad id %q", r.ID)
			}
			if r.Published == nil || !r.Published.Equal(r.Modified) {
				t.Fatalf("%s: dates %v %v", r.ID, r.Published, r.Modified)
			}
			for _, u := range r.Upstream {
				if !reCVE.MatchString(u) {
					t.Fatalf("%s: upstream %q", r.ID, u)
				}
			}
		}
	})
}

// BenchmarkList converts the real DSA list (the excerpt when the bundle
// is absent); the metric is records/s.
func BenchmarkList(b *testing.B) {
	data := feedtest.Read(b, "testdata/list/DSA/list")
	if p := feedtest.VulndataPath("debian-dsa-dla-2023/data/DSA/list"); p != "" {
		data = feedtest.Read(b, p)
	}
	p := NewList()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c, err := run(p, "DSA/list", data)
		if err != nil || len(c.Advisories) == 0 {
			b.Fatalf("%d records, %v", len(c.Advisories), err)
		}
		n += len(c.Advisories)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
