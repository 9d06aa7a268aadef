package alpine

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

func run(p *Parser, path string, data []byte) (*feed.Collector, error) {
	var c feed.Collector
	err := p.Parse(context.Background(), path, bytes.NewReader(data), &c)
	return &c, err
}

// checkRecord asserts what every record of p keeps.
func checkRecord(t testing.TB, p *Parser, r *osv.Record) {
	t.Helper()
	if !strings.HasPrefix(r.ID, p.prefix) || len(r.Upstream) == 0 || p.prefix+r.Upstream[0] != r.ID {
		t.Fatalf("record %q upstream %v", r.ID, r.Upstream)
	}
	if len(r.Affected) != 1 {
		t.Fatalf("%s: %d affected", r.ID, len(r.Affected))
	}
	a := r.Affected[0]
	if osv.BaseEcosystem(a.Package.Ecosystem) != p.distro || !validName(a.Package.Name) || len(a.Ranges) == 0 {
		t.Fatalf("%s: bad affected %+v", r.ID, a)
	}
	for _, rg := range a.Ranges {
		if rg.Type != osv.RangeEcosystem || len(rg.Events) != 2 || rg.Events[0].Introduced != "0" || !validVersion(rg.Events[1].Fixed) {
			t.Fatalf("%s: bad range %+v", r.ID, rg)
		}
	}
}

func TestMatch(t *testing.T) {
	a, w := New(), NewWolfi()
	for _, tc := range []struct {
		path          string
		alpine, wolfi bool
	}{
		{"v3.15/main.json", true, false},
		{"secdb.alpinelinux.org/v3.9/community.yaml", true, false},
		{"edge/main.json.gz", true, false},
		{"v3.15/main.txt", false, false},
		{"3.15/main.json", false, false},
		{"os/security.json", false, true},
		{"security.json", false, true},
		{"v3.15/security.json", true, true},
	} {
		if got := a.Match(tc.path); got != tc.alpine {
			t.Errorf("alpine Match(%q) = %v", tc.path, got)
		}
		if got := w.Match(tc.path); got != tc.wolfi {
			t.Errorf("wolfi Match(%q) = %v", tc.path, got)
		}
	}
}

var goldenFiles = []string{
	"yaml/v3.5/main.yaml", "yaml/v3.8/main.yaml", "yaml/v3.9/main.yaml",
	"yaml/v3.11/main.yaml", "yaml/v3.11/community.yaml",
	"yaml/v3.15/main.yaml", "yaml/v3.15/community.yaml", "json/v3.15/main.json",
}

// TestGolden converts the real excerpts.
func TestGolden(t *testing.T) {
	for _, f := range goldenFiles {
		t.Run(f, func(t *testing.T) {
			c, err := run(New(), f, feedtest.Read(t, "testdata/"+f))
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Advisories {
				checkRecord(t, New(), &c.Advisories[i])
			}
			feedtest.Golden(t, strings.NewReplacer("/", "-", ".yaml", ".golden.json", ".json", ".golden.json").Replace(f), c.Advisories)
		})
	}
	t.Run("wolfi", func(t *testing.T) {
		c, err := run(NewWolfi(), "security.json", feedtest.Read(t, "testdata/wolfi/security.json"))
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Advisories {
			checkRecord(t, NewWolfi(), &c.Advisories[i])
		}
		feedtest.Golden(t, "wolfi-security.golden.json", c.Advisories)
	})
}

// TestJSONMatchesYAML: the two forms of the same secdb give the same
// records.
func TestJSONMatchesYAML(t *testing.T) {
	y, err := run(New(), "v3.15/main.yaml", feedtest.Read(t, "testdata/yaml/v3.15/main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := run(New(), "v3.15/main.json", feedtest.Read(t, "testdata/json/v3.15/main.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(y.Advisories, j.Advisories); diff != "" || len(y.Advisories) == 0 {
		t.Errorf("yaml vs json (-yaml +json):\n%s", diff)
	}
}

// TestRealFiles parses every real secdb file of the bundle. The expected
// counts were computed independently (PyYAML and a regular expression
// over each entry): distinct (id, package) pairs with a release other
// than "0".
func TestRealFiles(t *testing.T) {
	for _, tc := range []struct {
		file    string
		records int
	}{
		{"alpine-secdb-2020/v3.3/main.yaml", 461}, {"alpine-secdb-2020/v3.3/community.yaml", 0},
		{"alpine-secdb-2020/v3.4/main.yaml", 669}, {"alpine-secdb-2020/v3.4/community.yaml", 14},
		{"alpine-secdb-2020/v3.5/main.yaml", 823}, {"alpine-secdb-2020/v3.5/community.yaml", 101},
		{"alpine-secdb-2020/v3.6/main.yaml", 891}, {"alpine-secdb-2020/v3.6/community.yaml", 214},
		{"alpine-secdb-2020/v3.7/main.yaml", 1073}, {"alpine-secdb-2020/v3.7/community.yaml", 401},
		{"alpine-secdb-2020/v3.8/main.yaml", 1124}, {"alpine-secdb-2020/v3.8/community.yaml", 476},
		{"alpine-secdb-2020/v3.9/main.yaml", 1101}, {"alpine-secdb-2020/v3.9/community.yaml", 593},
		{"alpine-secdb-2020/v3.10/main.yaml", 1158}, {"alpine-secdb-2020/v3.10/community.yaml", 712},
		{"alpine-secdb-2020/v3.11/main.yaml", 1179}, {"alpine-secdb-2020/v3.11/community.yaml", 886},
		{"fixtures/vunnel/tests/unit/providers/alpine/test-fixtures/input/secdb/v3.15/main.yaml", 13},
		{"fixtures/vunnel/tests/unit/providers/alpine/test-fixtures/input/secdb/v3.15/community.yaml", 3},
		{"fixtures/vunnel/tests/unit/providers/wolfi/test-fixtures/input/secdb/security.json", 53},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := New()
			if strings.HasSuffix(tc.file, "security.json") {
				p = NewWolfi()
			}
			path := feedtest.Vulndata(t, tc.file)
			if !p.Match(strings.TrimPrefix(path, "/")) {
				t.Errorf("Match(%q) = false", path)
			}
			c, err := run(p, tc.file, feedtest.Read(t, path))
			if err != nil {
				t.Fatalf("real file does not parse: %v", err)
			}
			if len(c.Advisories) != tc.records {
				t.Errorf("%d records, want %d", len(c.Advisories), tc.records)
			}
			ids := map[string]bool{}
			for i := range c.Advisories {
				r := &c.Advisories[i]
				checkRecord(t, p, r)
				key := r.ID + " " + r.Affected[0].Package.Name
				if ids[key] {
					t.Errorf("two records for %s", key)
				}
				ids[key] = true
			}
		})
	}
}

// TestFacts checks records of the excerpts against the YAML, read by eye.
func TestFacts(t *testing.T) {
	find := func(t *testing.T, file, id, pkg string) *osv.Record {
		t.Helper()
		c, err := run(New(), file, feedtest.Read(t, "testdata/"+file))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range c.Advisories {
			if r.ID == id && r.Affected[0].Package.Name == pkg {
				return &c.Advisories[i]
			}
		}
		return nil
	}
	fixed := func(r *osv.Record) []string {
		var out []string
		for _, rg := range r.Affected[0].Ranges {
			out = append(out, rg.Events[1].Fixed)
		}
		return out
	}
	// ansible 2.7.3-r0: "CVE 2018-16859"
	if r := find(t, "yaml/v3.9/main.yaml", "ALPINE-CVE-2018-16859", "ansible"); r == nil || !cmp.Equal(fixed(r), []string{"2.7.3-r0"}) ||
		string(r.Affected[0].DatabaseSpecific) != `{"secfixes":["CVE 2018-16859"]}` || r.Affected[0].Package.Ecosystem != "Alpine:v3.9" {
		t.Errorf("ansible CVE 2018-16859: %+v", r)
	}
	// xen 4.11.2-r0: "CVE-????-?????  XSA-284"
	if r := find(t, "yaml/v3.9/main.yaml", "ALPINE-XSA-284", "xen"); r == nil || !cmp.Equal(r.Upstream, []string{"XSA-284"}) || r.References != nil {
		t.Errorf("xen XSA-284: %+v", r)
	}
	// rsync 3.1.2-r7: CVE-2017-17434-1 and CVE-2017-17434-2, one CVE.
	if r := find(t, "yaml/v3.9/main.yaml", "ALPINE-CVE-2017-17434", "rsync"); r == nil || !cmp.Equal(r.Upstream, []string{"CVE-2017-17434"}) ||
		r.References[0].URL != "https://security.alpinelinux.org/vuln/CVE-2017-17434" {
		t.Errorf("rsync CVE-2017-17434: %+v", r)
	}
	// curl 7.53.0 (no -r): a plain version.
	if r := find(t, "yaml/v3.9/main.yaml", "ALPINE-CVE-2017-2629", "curl"); r == nil || !cmp.Equal(fixed(r), []string{"7.53.0"}) {
		t.Errorf("curl CVE-2017-2629: %+v", r)
	}
	// db: "0": [CVE-2016-0682 …]: never affected, no record.
	if r := find(t, "yaml/v3.8/main.yaml", "ALPINE-CVE-2016-0682", "db"); r != nil {
		t.Errorf("db under \"0\" has a record: %+v", r)
	}
	// xen 4.10.0-r1 (v3.7): "CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI" is in
	// the full v3.7 file; the v3.11 tcpdump note stays verbatim.
	if r := find(t, "yaml/v3.11/main.yaml", "ALPINE-CVE-2018-16301", "tcpdump"); r == nil ||
		string(r.Affected[0].DatabaseSpecific) != `{"secfixes":["CVE-2018-16301 (was fixed in libpcap)"]}` {
		t.Errorf("tcpdump CVE-2018-16301: %+v", r)
	}
	// zabbix "CVE-2016-10134 ZBX-11023"; wireshark "wnpa-sec-2017-21" stands alone.
	if r := find(t, "yaml/v3.5/main.yaml", "ALPINE-CVE-2016-10134", "zabbix"); r == nil || !cmp.Equal(r.Upstream, []string{"CVE-2016-10134", "ZBX-11023"}) {
		t.Errorf("zabbix CVE-2016-10134: %+v", r)
	}
	if r := find(t, "yaml/v3.5/main.yaml", "ALPINE-wnpa-sec-2017-21", "wireshark"); r == nil || r.References != nil {
		t.Errorf("wireshark wnpa-sec-2017-21: %+v", r)
	}
}

func TestParseEntry(t *testing.T) {
	for _, tc := range []struct {
		in           string
		cves, others []string
		extra        bool
	}{
		{"CVE-2019-1234", []string{"CVE-2019-1234"}, nil, false},
		{"CVE-2017-8904 XSA-214", []string{"CVE-2017-8904"}, []string{"XSA-214"}, false},
		{"CVE-2017-5753 CVE-2017-5715 CVE-2017-5754 XSA-254 XPTI", []string{"CVE-2017-5753", "CVE-2017-5715", "CVE-2017-5754"}, []string{"XSA-254"}, true},
		{"CVE-2018-16301 (was fixed in libpcap)", []string{"CVE-2018-16301"}, nil, true},
		{"CVE_2019-2426", []string{"CVE-2019-2426"}, nil, true},
		{"CVE-2017-17434-1", []string{"CVE-2017-17434"}, nil, true},
		{"CVE-2017-8073.patch", []string{"CVE-2017-8073"}, nil, true},
		{" CVE-2016-6263", []string{"CVE-2016-6263"}, nil, false},
		{"CVE 2018-16859", []string{"CVE-2018-16859"}, nil, true},
		{"CVE-????-?????  XSA-284", nil, []string{"XSA-284"}, true},
		{"wnpa-sec-2017-21", nil, []string{"wnpa-sec-2017-21"}, false},
		{"GHSA-jq35-85cj-fj4p", nil, []string{"GHSA-jq35-85cj-fj4p"}, false},
		{"CVE-2017-14450 TALOS-2017-0499", []string{"CVE-2017-14450"}, []string{"TALOS-2017-0499"}, false},
		{"CVE-20191-1", nil, nil, true},
		{"fixed upstream", nil, nil, true},
		{"", nil, nil, false},
	} {
		cves, others, extra := parseEntry(tc.in)
		if !cmp.Equal(cves, tc.cves) || !cmp.Equal(others, tc.others) || extra != tc.extra {
			t.Errorf("parseEntry(%q) = %v %v %v; want %v %v %v", tc.in, cves, others, extra, tc.cves, tc.others, tc.extra)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, wantErr string
		records           int
	}{
		{"bad branch", `{"distroversion":"3.15","packages":[]}`,
			`alpine-secdb: parse t: distroversion "3.15" is not an Alpine branch (v3.15, edge)`, 0},
		{"not json", `{"distroversion":`, "alpine-secdb: parse t: unexpected end of JSON input", 0},
		{"secfixes not an object", `{"distroversion":"v3.1","packages":[{"pkg":{"name":"a","secfixes":[]}}]}`,
			"alpine-secdb: parse t: secfixes is [, want an object", 0},
		{"yaml not a mapping", "- a\n", "alpine-secdb: parse t: line 1: top level is not a mapping", 0},
		{"yaml packages not a list", "distroversion: v3.1\npackages: 3\n", "alpine-secdb: parse t: line 2: packages is not a list", 0},
		{"yaml entry not a string", "distroversion: v3.1\npackages:\n- pkg:\n    name: a\n    secfixes:\n      1-r0:\n      - [x]\n",
			`alpine-secdb: parse t: line 7: release "1-r0": entry is not a string`, 0},
		{"bad entries are skipped", `{"distroversion":"edge","packages":[` +
			`{"pkg":{"name":"../a","secfixes":{"1-r0":["CVE-2020-0001"]}}},` +
			`{"pkg":{"name":"b","secfixes":{"x1":["CVE-2020-0001"],"2-r0":["fixed upstream","CVE-2020-0002"],"0":null}}}]}`,
			"alpine-secdb: t: package 1: \"../a\" is not a package name\n" +
				"alpine-secdb: t: package 2: package b: \"x1\" is not an apk version\n" +
				"alpine-secdb: t: package 2: package b release 2-r0: secfix \"fixed upstream\" names no advisory id", 1},
		{"empty yaml", "", "alpine-secdb: parse t: empty document", 0},
		{"yaml null secfixes", "distroversion: v3.3\npackages:\n- pkg:\n    name: a\n    secfixes:\n", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := run(New(), "t", []byte(tc.in))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr || len(c.Advisories) != tc.records {
				t.Errorf("got %d records, error:\n%s\nwant %d, error:\n%s", len(c.Advisories), got, tc.records, tc.wantErr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range goldenFiles {
		f.Add(feedtest.Read(f, "testdata/"+name))
	}
	f.Add([]byte(`{"distroversion":"v3.20","packages":[{"pkg":{"name":"a","secfixes":{"0":["CVE-2020-0001"],"1-r0":["CVE-2020-0001 XSA-1"]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []*Parser{New(), NewWolfi()} {
			c, _ := run(p, "fuzz", data)
			for i := range c.Advisories {
				checkRecord(t, p, &c.Advisories[i])
			}
		}
	})
}

// BenchmarkParse converts the largest real secdb file of the bundle
// (v3.11/main.yaml; the excerpt without the bundle) and the JSON form;
// the metric is records/s.
func BenchmarkParse(b *testing.B) {
	yamlData := feedtest.Read(b, "testdata/yaml/v3.9/main.yaml")
	if p := feedtest.VulndataPath("alpine-secdb-2020/v3.11/main.yaml"); p != "" {
		yamlData = feedtest.Read(b, p)
	}
	// The same data as JSON: what secdb.alpinelinux.org serves today.
	jsonData := yamlToJSON(b, yamlData)
	for _, bc := range []struct {
		name string
		data []byte
	}{{"yaml", yamlData}, {"json", jsonData}} {
		b.Run(bc.name, func(b *testing.B) {
			p := New()
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				c, err := run(p, "v3.11/main."+bc.name, bc.data)
				if err != nil || len(c.Advisories) == 0 {
					b.Fatalf("%d records, %v", len(c.Advisories), err)
				}
				n += len(c.Advisories)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// yamlToJSON re-encodes a parsed YAML secdb as secdb JSON.
func yamlToJSON(t testing.TB, data []byte) []byte {
	var db secdb
	if err := parseYAML(data, &db); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(`{"distroversion":` + quote(db.DistroVersion) + `,"reponame":` + quote(db.RepoName) + `,"packages":[`)
	for i, p := range db.Packages {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"pkg":{"name":` + quote(p.Pkg.Name) + `,"secfixes":{`)
		for j, f := range p.Pkg.Secfixes {
			if j > 0 {
				b.WriteByte(',')
			}
			e, _ := json.Marshal(f.entries)
			b.WriteString(quote(f.version) + ":" + string(e))
		}
		b.WriteString(`}}}`)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
