package cvss

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// harvest names the unpacked sample vulnerability data to collect real
// vectors from (testdata/README.md):
//
//	go test ./internal/cvss -run TestHarvest -harvest=/var/tmp/vulndata/extracted
var harvest = flag.String("harvest", "", "rewrite testdata/published.tsv and testdata/vectors.tsv from this vulnerability data directory")

// A published vector, with the score its publisher gave when it gave one.
type harvested struct {
	source, record, vector string
	score                  string // "" when the publisher gave no score
	severity               string // the publisher's qualitative rating, or ""
}

// TestHarvest rewrites testdata/published.tsv (vectors published with a
// score) and testdata/vectors.tsv (vectors published without one) from the
// sample data. It runs only with -harvest.
func TestHarvest(t *testing.T) {
	if *harvest == "" {
		t.Skip("no -harvest directory")
	}
	root := *harvest
	var all []harvested
	for _, h := range []struct {
		dir string
		fn  func(t *testing.T, rel string, data []byte) []harvested
	}{
		{"fixtures/vunnel/tests/unit/providers/nvd/test-fixtures", harvestNVD},
		{"fixtures/vunnel/tests/unit/providers/github/test-fixtures", harvestVunnelGitHub},
		{"fixtures/vunnel/tests/unit/providers/debian/test-fixtures/input", harvestVunnelDebian},
		{"nodejs-security-wg/vuln", harvestNodeWG},
		{"rustsec-osv", harvestOSV},
		{"ghsa-osv-samples", harvestOSV},
		{"fixtures/vunnel/tests/unit/providers/ubuntu", harvestOSV},
		{"fixtures/osv.dev", harvestOSVText},
		{"pypa", harvestOSVText},
	} {
		n := 0
		err := filepath.WalkDir(filepath.Join(root, h.dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if h.dir == "fixtures/vunnel/tests/unit/providers/nvd/test-fixtures" && strings.Contains(path, "snapshots") {
				return nil // vunnel's own rewrite of the same NVD records
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			got := h.fn(t, rel, data)
			n += len(got)
			all = append(all, got...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d vectors", h.dir, n)
	}
	slices.SortFunc(all, func(a, b harvested) int {
		return strings.Compare(a.source+"\t"+a.record+"\t"+a.vector, b.source+"\t"+b.record+"\t"+b.vector)
	})
	all = slices.CompactFunc(all, func(a, b harvested) bool { return a == b })

	var pub, vec strings.Builder
	pub.WriteString("# source\trecord\tvector\tpublished score\tpublished rating\n")
	vec.WriteString("# source\trecord\tvector\tpublished rating\n")
	for _, h := range all {
		sev := h.severity
		if sev == "" {
			sev = "-"
		}
		if h.score != "" {
			fmt.Fprintf(&pub, "%s\t%s\t%s\t%s\t%s\n", h.source, h.record, h.vector, h.score, sev)
		} else {
			fmt.Fprintf(&vec, "%s\t%s\t%s\t%s\n", h.source, h.record, h.vector, sev)
		}
	}
	for name, s := range map[string]string{"published.tsv": pub.String(), "vectors.tsv": vec.String()} {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func jsonScore(x any) string {
	switch x := x.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case json.Number:
		f, err := x.Float64()
		if err == nil {
			return strconv.FormatFloat(f, 'f', 1, 64)
		}
	}
	return ""
}

func decode(t *testing.T, rel string, data []byte, v any) bool {
	if err := json.Unmarshal(data, v); err != nil {
		t.Logf("%s: skipped: %v", rel, err)
		return false
	}
	return true
}

// harvestNVD reads NVD API 2.0 pages: metrics.cvssMetricV*[].cvssData.
func harvestNVD(t *testing.T, rel string, data []byte) []harvested {
	var page struct {
		Vulnerabilities []struct {
			CVE struct {
				ID      string `json:"id"`
				Metrics map[string][]struct {
					Source       string `json:"source"`
					BaseSeverity string `json:"baseSeverity"` // v2: beside cvssData
					CVSSData     struct {
						VectorString string  `json:"vectorString"`
						BaseScore    float64 `json:"baseScore"`
						BaseSeverity string  `json:"baseSeverity"`
					} `json:"cvssData"`
				} `json:"metrics"`
			} `json:"cve"`
		} `json:"vulnerabilities"`
	}
	if !decode(t, rel, data, &page) {
		return nil
	}
	var out []harvested
	for _, v := range page.Vulnerabilities {
		for _, ms := range v.CVE.Metrics {
			for _, m := range ms {
				sev := m.CVSSData.BaseSeverity
				if sev == "" {
					sev = m.BaseSeverity
				}
				out = append(out, harvested{"nvd", v.CVE.ID + " (" + m.Source + ")", m.CVSSData.VectorString,
					jsonScore(m.CVSSData.BaseScore), strings.ToLower(sev)})
			}
		}
	}
	return out
}

// harvestVunnelGitHub reads vunnel's GHSA records: Advisory.CVSS has a v3
// vector with GitHub's score, cvss_severities every vector.
func harvestVunnelGitHub(t *testing.T, rel string, data []byte) []harvested {
	var rec struct {
		Item struct {
			Advisory struct {
				GHSA string `json:"ghsaId"`
				CVSS struct {
					Base struct {
						Score    float64 `json:"base_score"`
						Severity string  `json:"base_severity"`
					} `json:"base_metrics"`
					Vector string `json:"vector_string"`
				} `json:"CVSS"`
				Severities []struct {
					Vector string `json:"vector"`
				} `json:"cvss_severities"`
			} `json:"Advisory"`
		} `json:"item"`
	}
	if !decode(t, rel, data, &rec) {
		return nil
	}
	a := rec.Item.Advisory
	out := []harvested{{"ghsa-vunnel", a.GHSA, a.CVSS.Vector, jsonScore(a.CVSS.Base.Score), strings.ToLower(a.CVSS.Base.Severity)}}
	for _, s := range a.Severities {
		if s.Vector != a.CVSS.Vector {
			out = append(out, harvested{source: "ghsa-vunnel", record: a.GHSA, vector: s.Vector})
		}
	}
	return out
}

// harvestVunnelDebian reads the legacy anchore feed records in vunnel's
// Debian fixtures: Metadata.NVD.CVSSv2 {Vectors, Score}.
func harvestVunnelDebian(t *testing.T, rel string, data []byte) []harvested {
	if !strings.HasSuffix(rel, ".json") {
		return nil
	}
	var recs []struct {
		Vulnerability struct {
			Name     string `json:"Name"`
			Metadata struct {
				NVD struct {
					CVSSv2 struct {
						Score   float64 `json:"Score"`
						Vectors string  `json:"Vectors"`
					} `json:"CVSSv2"`
				} `json:"NVD"`
			} `json:"Metadata"`
		} `json:"Vulnerability"`
	}
	if json.Unmarshal(data, &recs) != nil {
		return nil // the other fixtures are not lists of records
	}
	var out []harvested
	for _, r := range recs {
		c := r.Vulnerability.Metadata.NVD.CVSSv2
		if c.Vectors != "" {
			out = append(out, harvested{"debian-vunnel-legacy", r.Vulnerability.Name, c.Vectors, jsonScore(c.Score), ""})
		}
	}
	return out
}

// harvestNodeWG reads the Node.js security WG's advisories: cvss_vector and
// cvss_score.
func harvestNodeWG(t *testing.T, rel string, data []byte) []harvested {
	if !strings.HasSuffix(rel, ".json") {
		return nil
	}
	var rec struct {
		ID     any     `json:"id"`
		Vector *string `json:"cvss_vector"`
		Score  any     `json:"cvss_score"`
	}
	if !decode(t, rel, data, &rec) || rec.Vector == nil || *rec.Vector == "" {
		return nil
	}
	id := strings.TrimSuffix(strings.TrimPrefix(rel, "nodejs-security-wg/vuln/"), ".json")
	return []harvested{{"nodejs-security-wg", id, *rec.Vector, jsonScore(rec.Score), ""}}
}

// harvestOSV reads OSV JSON records: severity[].score, and RustSec's
// database_specific.cvss; GHSA's database_specific.severity is the rating.
func harvestOSV(t *testing.T, rel string, data []byte) []harvested {
	if !strings.HasSuffix(rel, ".json") {
		return nil
	}
	var rec struct {
		ID       string `json:"id"`
		Severity []struct {
			Type  string `json:"type"`
			Score string `json:"score"`
		} `json:"severity"`
		DB struct {
			CVSS     any    `json:"cvss"`
			Severity string `json:"severity"`
		} `json:"database_specific"`
		Affected []struct {
			Severity []struct {
				Type  string `json:"type"`
				Score string `json:"score"`
			} `json:"severity"`
		} `json:"affected"`
	}
	if json.Unmarshal(data, &rec) != nil || rec.ID == "" {
		return nil
	}
	source := strings.SplitN(rel, "/", 2)[0]
	if source == "fixtures" {
		source = "ubuntu-vunnel"
	}
	seen := map[string]bool{}
	var out []harvested
	add := func(s string) {
		if !strings.HasPrefix(s, "CVSS:") && !strings.HasPrefix(s, "AV:") || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, harvested{source: source, record: rec.ID, vector: s})
	}
	for _, s := range rec.Severity {
		add(s.Score)
	}
	for _, a := range rec.Affected {
		for _, s := range a.Severity {
			add(s.Score)
		}
	}
	if s, ok := rec.DB.CVSS.(string); ok {
		add(s)
	}
	// GitHub rates a reviewed advisory from its one CVSS vector; keep the
	// rating only when there is exactly one.
	if source == "ghsa-osv-samples" && len(out) == 1 {
		out[0].severity = strings.ToLower(rec.DB.Severity)
	}
	return out
}

var osvTextVector = regexp.MustCompile(`(?m)['"]?score['"]?:\s*['"]?((?:CVSS:[0-9.]+/)?AV:[A-Za-z0-9:/.]+)`)

// harvestOSVText finds "score: CVSS:..." in OSV YAML and in osv.dev's
// Python-repr test fixtures, which a JSON decoder cannot read.
func harvestOSVText(t *testing.T, rel string, data []byte) []harvested {
	source := strings.SplitN(rel, "/", 2)[0]
	if source == "fixtures" {
		source = "osv.dev-fixtures"
	}
	record := strings.TrimSuffix(filepath.Base(rel), filepath.Ext(rel))
	var out []harvested
	for _, m := range osvTextVector.FindAllSubmatch(data, -1) {
		out = append(out, harvested{source: source, record: record, vector: string(m[1])})
	}
	return out
}
