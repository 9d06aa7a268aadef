package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/feedtest"
	"github.com/pavesec/pave/internal/osv"
)

func TestTrackerMatch(t *testing.T) {
	p := NewTracker()
	for path, want := range map[string]bool{
		"tracker/data/json": true,
		"security-tracker.debian.org/tracker/data/json.gz": true,
		"json":                             true,
		"input/debian.json":                true,
		"debian-security-tracker.json.zst": true,
		"data/DSA/list":                    false,
		"debian/other.json":                false,
		"jsonx":                            false,
	} {
		if got := p.Match(path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestTrackerGolden converts the real tracker excerpts.
func TestTrackerGolden(t *testing.T) {
	for _, name := range []string{"debian.json", "annotations.json"} {
		t.Run(name, func(t *testing.T) {
			c, err := run(NewTracker(), "tracker/"+name, feedtest.Read(t, "testdata/tracker/"+name))
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Advisories {
				checkRecord(t, &c.Advisories[i])
			}
			feedtest.Golden(t, "tracker/"+strings.TrimSuffix(name, ".json")+".golden.json", c.Advisories)
		})
	}
}

// TestTrackerFacts checks the conversion of the real excerpt against
// what the tracker says, read by eye.
func TestTrackerFacts(t *testing.T) {
	c, err := run(NewTracker(), "debian.json", feedtest.Read(t, "testdata/tracker/debian.json"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]osv.Record{}
	var ids []string
	for _, r := range c.Advisories {
		byID[r.ID] = r
		ids = append(ids, r.ID)
	}
	// CVE-2007-2383 is "fixed_version": "0" in every release and
	// chromium-browser's CVE-2022-0358 has "releases": []: no records.
	wantIDs := []string{"DEBIAN-CVE-2008-7220", "DEBIAN-CVE-2013-1444", "DEBIAN-CVE-2005-3111", "DEBIAN-CVE-2022-0456", "DEBIAN-CVE-2025-53603"}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}
	chromium := byID["DEBIAN-CVE-2022-0456"]
	want := []osv.Affected{
		{Package: osv.Package{Ecosystem: "Debian:9", Name: "chromium"},
			Ranges:            []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}}}},
			EcosystemSpecific: json.RawMessage(`{"status":"end-of-life","wont-fix":true}`)},
		{Package: osv.Package{Ecosystem: "Debian:10", Name: "chromium"},
			Ranges:            []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}}}},
			EcosystemSpecific: json.RawMessage(`{"status":"end-of-life","wont-fix":true}`)},
		{Package: osv.Package{Ecosystem: "Debian:11", Name: "chromium"},
			Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "98.0.4758.80-1~deb11u1"}}}}},
		{Package: osv.Package{Ecosystem: "Debian:12", Name: "chromium"},
			Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "98.0.4758.80-1"}}}}},
		{Package: osv.Package{Ecosystem: "Debian:unstable", Name: "chromium"},
			Ranges: []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: "98.0.4758.80-1"}}}}},
	}
	if diff := cmp.Diff(want, chromium.Affected); diff != "" {
		t.Errorf("chromium (-want +got):\n%s", diff)
	}
	if got := chromium.Upstream; len(got) != 1 || got[0] != "CVE-2022-0456" {
		t.Errorf("upstream = %v", got)
	}
	// "high**" is an NVD-derived urgency: severity high.
	proto := byID["DEBIAN-CVE-2008-7220"]
	if got := string(proto.Affected[0].EcosystemSpecific); got != `{"severity":"high"}` {
		t.Errorf("prototypejs ecosystem_specific = %s", got)
	}
	if got := proto.References; len(got) != 2 || got[1].URL != "https://bugs.debian.org/555217" {
		t.Errorf("prototypejs references = %v", got)
	}
}

// TestTrackerBranches covers each status and error branch with entries
// in the export's shape.
func TestTrackerBranches(t *testing.T) {
	open := osv.Range{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}}}
	tests := []struct {
		name    string
		in      string
		want    []osv.Affected // of the single record; nil: no record
		wantErr string
	}{
		{name: "undetermined",
			in:   `{"p":{"CVE-2026-0001":{"releases":{"trixie":{"status":"undetermined","urgency":"not yet assigned"}}}}}`,
			want: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:13", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"status":"undetermined"}`)}}},
		{name: "postponed",
			in:   `{"p":{"CVE-2026-0001":{"releases":{"bookworm":{"status":"open","urgency":"low","nodsa":"Minor issue","nodsa_reason":"postponed"}}}}}`,
			want: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:12", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"severity":"low","status":"postponed","nodsa":"Minor issue","nodsa_reason":"postponed"}`)}}},
		{name: "plain no-dsa and next point update",
			in:   `{"p":{"CVE-2026-0001":{"releases":{"bookworm":{"status":"open","urgency":"medium**","nodsa":"Minor issue","next_point_update":true}}}}}`,
			want: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:12", Name: "p"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"severity":"medium","status":"no-dsa","nodsa":"Minor issue","next_point_update":true,"wont-fix":true}`)}}},
		{name: "TEMP id has no upstream",
			in:   `{"bash":{"TEMP-0841856-B18BAF":{"releases":{"sid":{"status":"open","urgency":"unimportant"}}}}}`,
			want: []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:unstable", Name: "bash"}, Ranges: []osv.Range{open}, EcosystemSpecific: json.RawMessage(`{"severity":"unimportant"}`)}}},
		{name: "resolved without a version is not affected",
			in: `{"p":{"CVE-2026-0001":{"releases":{"sid":{"status":"resolved"}}}}}`},
		{name: "unknown release is skipped, the others kept",
			in:      `{"p":{"CVE-2026-0001":{"releases":{"sid":{"status":"open"},"hurd":{"status":"open"}}}}}`,
			want:    []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:unstable", Name: "p"}, Ranges: []osv.Range{open}}},
			wantErr: `debian-tracker: t: package "p" issue CVE-2026-0001 release "hurd": unknown release`},
		{name: "bad fixed version",
			in:      `{"p":{"CVE-2026-0001":{"releases":{"sid":{"status":"resolved","fixed_version":"1.0 beta"}}}}}`,
			wantErr: `debian-tracker: t: package "p" issue CVE-2026-0001 release "sid": fixed_version "1.0 beta" is not a Debian version`},
		{name: "unknown status",
			in:      `{"p":{"CVE-2026-0001":{"releases":{"sid":{"status":"fixed"}}}}}`,
			wantErr: `debian-tracker: t: package "p" issue CVE-2026-0001 release "sid": unknown status "fixed"`},
		{name: "bad issue id",
			in:      `{"p":{"DSA-1-1":{"releases":{"sid":{"status":"open"}}}}}`,
			wantErr: `debian-tracker: t: package "p": issue "DSA-1-1" is neither a CVE nor a TEMP- id`},
		{name: "bad package name and a package that is not an object",
			in:      `{"../x":{"CVE-2026-0001":{"releases":{"sid":{"status":"open"}}}},"q":[1,{"a":[]}],"r":"s"}`,
			wantErr: "debian-tracker: t: package \"../x\": not a Debian source package name\ndebian-tracker: t: package \"q\": not an object\ndebian-tracker: t: package \"r\": not an object"},
		{name: "wrong field type is skipped",
			in:      `{"p":{"CVE-2026-0001":{"debianbug":"x","releases":{"sid":{"status":"open"}}},"CVE-2026-0002":{"releases":{"sid":{"status":"open"}}}}}`,
			want:    []osv.Affected{{Package: osv.Package{Ecosystem: "Debian:unstable", Name: "p"}, Ranges: []osv.Range{open}}},
			wantErr: `debian-tracker: t: package "p" issue "CVE-2026-0001": json: cannot unmarshal string into Go struct field trackerIssue.debianbug of type int64`},
		{name: "non-empty releases array",
			in:      `{"p":{"CVE-2026-0001":{"releases":[1]}}}`,
			wantErr: `debian-tracker: t: package "p" issue "CVE-2026-0001": releases is a non-empty array, want an object`},
		{name: "syntax error is fatal",
			in:      `{"p":{"CVE-2026-0001":{"releases":{`,
			wantErr: `debian-tracker: parse t at byte 22: package "p" issue "CVE-2026-0001": unexpected EOF`},
		{name: "not an object",
			in:      `[]`,
			wantErr: `debian-tracker: parse t at byte 1: want "{", got [`},
		{name: "trailing data",
			in:      `{} {}`,
			wantErr: `debian-tracker: parse t at byte 4: data after the top-level object`},
		{name: "empty export", in: `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := run(NewTracker(), "t", []byte(tc.in))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.wantErr {
				t.Errorf("error:\n%s\nwant:\n%s", gotErr, tc.wantErr)
			}
			if tc.want == nil {
				if len(c.Advisories) != 0 {
					t.Errorf("got %d records, want none: %+v", len(c.Advisories), c.Advisories)
				}
				return
			}
			if len(c.Advisories) != 1 {
				t.Fatalf("got %d records, want 1", len(c.Advisories))
			}
			if diff := cmp.Diff(tc.want, c.Advisories[0].Affected); diff != "" {
				t.Errorf("affected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrackerUpstream(t *testing.T) {
	c, _ := run(NewTracker(), "t", []byte(`{"bash":{"TEMP-0841856-B18BAF":{"releases":{"sid":{"status":"open"}}},"CVE-2026-0003":{"scope":"local","releases":{"sid":{"status":"open"}}}}}`))
	if len(c.Advisories) != 2 {
		t.Fatalf("%d records", len(c.Advisories))
	}
	if r := c.Advisories[0]; r.ID != "DEBIAN-TEMP-0841856-B18BAF" || r.Upstream != nil || r.DatabaseSpecific != nil {
		t.Errorf("TEMP record: %+v", r)
	}
	if r := c.Advisories[1]; r.ID != "DEBIAN-CVE-2026-0003" || len(r.Upstream) != 1 || string(r.DatabaseSpecific) != `{"scope":"local"}` {
		t.Errorf("CVE record: %+v", r)
	}
}

// TestTrackerCancel stops at a cancelled context.
func TestTrackerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c feed.Collector
	err := NewTracker().Parse(ctx, "t", bytes.NewReader(feedtest.Read(t, "testdata/tracker/debian.json")), &c)
	if err != context.Canceled || len(c.Advisories) != 0 {
		t.Errorf("got %v with %d records", err, len(c.Advisories))
	}
}

func FuzzTracker(f *testing.F) {
	f.Add(feedtest.Read(f, "testdata/tracker/debian.json"))
	f.Add(feedtest.Read(f, "testdata/tracker/annotations.json"))
	f.Add([]byte(`{"p":{"CVE-2026-0001":{"releases":{"trixie":{"status":"undetermined"},"sid":{"status":"resolved","fixed_version":"1"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := run(NewTracker(), "fuzz", data)
		for i := range c.Advisories {
			r := &c.Advisories[i]
			checkRecord(t, r)
			if !strings.HasPrefix(r.ID, "DEBIAN-CVE-") && !strings.HasPrefix(r.ID, "DEBIAN-TEMP-") {
				t.Fatalf("bad id %q", r.ID)
			}
		}
		// Deterministic: the same input gives the same records and error.
		c2, err2 := run(NewTracker(), "fuzz", data)
		if !cmp.Equal(c.Advisories, c2.Advisories) || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatal("two parses differ")
		}
	})
}

// BenchmarkTracker converts the real excerpt; the metric is records/s.
func BenchmarkTracker(b *testing.B) {
	data := feedtest.Read(b, "testdata/tracker/debian.json")
	p := NewTracker()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c, err := run(p, "debian.json", data)
		if err != nil || len(c.Advisories) == 0 {
			b.Fatalf("%d records, %v", len(c.Advisories), err)
		}
		n += len(c.Advisories)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
