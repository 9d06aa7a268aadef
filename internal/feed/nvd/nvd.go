// Package nvd reads the CVSS vectors of NIST's National Vulnerability
// Database and reports one feed.Score (Source "nvd") per CVE. It reads:
//
//   - CVE API 2.0 pages (https://services.nvd.nist.gov/rest/json/cves/2.0)
//     and the 2.0 JSON feeds, which have the same shape
//     (https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2024.json.gz):
//     {"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [{"cve":
//     {"id", "published", "lastModified", "vulnStatus", "metrics":
//     {"cvssMetricV40"|"cvssMetricV31"|"cvssMetricV30"|"cvssMetricV2":
//     [{"source", "type": "Primary"|"Secondary", "cvssData":
//     {"vectorString"}}]}}}]};
//   - the retired 1.1 JSON feeds (nvdcve-1.1-2020.json): {"CVE_Items":
//     [{"cve": {"CVE_data_meta": {"ID"}}, "impact": {"baseMetricV3":
//     {"cvssV3": {"vectorString"}}, "baseMetricV2": {"cvssV2":
//     {"vectorString"}}}, "publishedDate", "lastModifiedDate"}]}.
//
// Which vectors a Score keeps: at most one per CVSS major version
// (CVSS_V4, CVSS_V3, CVSS_V2), because an osv.Severity cannot say who
// scored it. For each version the pick is NVD's own (type Primary, source
// nvd@nist.gov), else another Primary, else the first Secondary (a CNA's),
// preferring CVSS 3.1 over 3.0 from the same kind of source. The Score
// lists the picks Primary first, newest CVSS version first within each
// kind, so Severity[0] is NVD's own score when NVD scored the CVE.
//
// Rejected CVEs (vulnStatus "Rejected"; in 1.1, a description starting
// "** REJECT **") and CVEs without any vector give no Score.
//
// The input is decoded one CVE at a time: a 2.0 yearly feed of several
// hundred MB never sits in memory whole.
package nvd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// Source is the Score.Source of every score this package reports.
const Source = "nvd"

// APIURL is the CVE API 2.0 endpoint; it pages with startIndex and
// resultsPerPage (at most 2,000).
const APIURL = "https://services.nvd.nist.gov/rest/json/cves/2.0"

// FeedURLBase is where NVD publishes the 2.0 JSON feeds.
const FeedURLBase = "https://nvd.nist.gov/feeds/json/cve/2.0/"

// FeedURLs returns the 2.0 JSON feeds: one per year from 2002 (which
// also holds the older CVEs) to through, then "modified" and "recent".
func FeedURLs(through int) []string {
	var urls []string
	for y := 2002; y <= through; y++ {
		urls = append(urls, FeedURLBase+"nvdcve-2.0-"+strconv.Itoa(y)+".json.gz")
	}
	return append(urls, FeedURLBase+"nvdcve-2.0-modified.json.gz", FeedURLBase+"nvdcve-2.0-recent.json.gz")
}

// DefaultURLs returns FeedURLs through the current year.
func DefaultURLs() []string { return FeedURLs(time.Now().UTC().Year()) }

// Bounds on one file: a yearly 2.0 feed is a few hundred MB.
const (
	maxBytes  = 4 << 30
	maxItems  = 10_000_000
	maxVector = 512
)

// Parser reads NVD JSON.
type Parser struct{}

var _ feed.Parser = (*Parser)(nil)

// New returns the NVD parser.
func New() *Parser { return &Parser{} }

// Name implements feed.Parser.
func (*Parser) Name() string { return "nvd" }

var reFeedFile = regexp.MustCompile(`^nvdcve-(1\.1|2\.0)-[A-Za-z0-9_-]+\.json$`)

// Match implements feed.Parser: NVD's feed files (nvdcve-2.0-2024.json,
// nvdcve-1.1-modified.json), API pages saved under a directory named
// "nvd" (nvd/page-0.json), and the API's own path (rest/json/cves/2.0).
func (*Parser) Match(p string) bool {
	p = feed.TrimCompression(p)
	if reFeedFile.MatchString(path.Base(p)) || strings.HasSuffix(p, "rest/json/cves/2.0") {
		return true
	}
	if path.Ext(p) != ".json" {
		return false
	}
	for _, dir := range strings.Split(path.Dir(p), "/") {
		if dir == "nvd" {
			return true
		}
	}
	return false
}

// apiItem is one element of a 2.0 "vulnerabilities" array.
type apiItem struct {
	CVE struct {
		ID           string `json:"id"`
		Published    string `json:"published"`
		LastModified string `json:"lastModified"`
		VulnStatus   string `json:"vulnStatus"`
		Metrics      struct {
			V40 []apiMetric `json:"cvssMetricV40"`
			V31 []apiMetric `json:"cvssMetricV31"`
			V30 []apiMetric `json:"cvssMetricV30"`
			V2  []apiMetric `json:"cvssMetricV2"`
		} `json:"metrics"`
	} `json:"cve"`
}

type apiMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		VectorString string `json:"vectorString"`
	} `json:"cvssData"`
}

// legacyItem is one element of a 1.1 "CVE_Items" array.
type legacyItem struct {
	CVE struct {
		Meta struct {
			ID string `json:"ID"`
		} `json:"CVE_data_meta"`
		Description struct {
			Data []struct {
				Value string `json:"value"`
			} `json:"description_data"`
		} `json:"description"`
	} `json:"cve"`
	Impact struct {
		V3 struct {
			CVSS struct {
				VectorString string `json:"vectorString"`
			} `json:"cvssV3"`
		} `json:"baseMetricV3"`
		V2 struct {
			CVSS struct {
				VectorString string `json:"vectorString"`
			} `json:"cvssV2"`
		} `json:"baseMetricV2"`
	} `json:"impact"`
	PublishedDate    string `json:"publishedDate"`
	LastModifiedDate string `json:"lastModifiedDate"`
}

// Parse implements feed.Parser.
func (*Parser) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	dec := json.NewDecoder(bufio.NewReaderSize(feed.LimitReader(r, maxBytes), 64<<10))
	prob := &feed.Problems{Prefix: "nvd: " + name + ": "}
	fail := func(format string, args ...any) error {
		err := fmt.Errorf("nvd: parse %s at byte %d: %s", name, dec.InputOffset(), fmt.Sprintf(format, args...))
		return errors.Join(err, prob.Err())
	}
	if err := feed.ExpectDelim(dec, '{'); err != nil {
		return fail("%v", err)
	}
	found := false
	for dec.More() {
		key, err := feed.StringToken(dec)
		if err != nil {
			return fail("%v", err)
		}
		switch key {
		case "format":
			var f string
			if err := dec.Decode(&f); err != nil {
				return fail("format: %v", err)
			}
			if f != "NVD_CVE" {
				return fail("format %q, want NVD_CVE", f)
			}
		case "vulnerabilities", "CVE_Items":
			found = true
			legacy := key == "CVE_Items"
			if err := feed.ExpectDelim(dec, '['); err != nil {
				return fail("%s: %v", key, err)
			}
			for n := 0; dec.More(); n++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				if n >= maxItems {
					return fail("more than %d items", maxItems)
				}
				var s *feed.Score
				if legacy {
					var it legacyItem
					if err := dec.Decode(&it); err != nil {
						if isTypeError(err) {
							prob.Add("item %d: %v", n+1, err)
							continue
						}
						return fail("item %d: %v", n+1, err)
					}
					s = legacyScore(&it, n, prob)
				} else {
					var it apiItem
					if err := dec.Decode(&it); err != nil {
						if isTypeError(err) {
							prob.Add("item %d: %v", n+1, err)
							continue
						}
						return fail("item %d: %v", n+1, err)
					}
					s = apiScore(&it, n, prob)
				}
				if s == nil {
					continue
				}
				if err := out.Score(s); err != nil {
					return err
				}
			}
			if err := feed.ExpectDelim(dec, ']'); err != nil {
				return fail("%s: %v", key, err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail("%s: %v", key, err)
			}
		}
	}
	if err := feed.ExpectDelim(dec, '}'); err != nil {
		return fail("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("data after the top-level object")
	}
	if !found {
		return fail("neither \"vulnerabilities\" (API 2.0) nor \"CVE_Items\" (1.1): not an NVD CVE file")
	}
	return prob.Err()
}

var reCVE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)

// candidate is one vector on offer for a Score.
type candidate struct {
	sev   osv.Severity
	rank  int // 0 NVD Primary, 1 other Primary, 2 Secondary
	minor int // 1 for CVSS 3.1 over 3.0
}

// apiScore converts one 2.0 item; nil for a rejected CVE, one without
// vectors, or a bad one (prob says why).
func apiScore(it *apiItem, n int, prob *feed.Problems) *feed.Score {
	c := &it.CVE
	if !reCVE.MatchString(c.ID) {
		prob.Add("item %d: id %q is not a CVE id", n+1, feed.Clip(c.ID))
		return nil
	}
	if c.VulnStatus == "Rejected" {
		return nil
	}
	var cands []candidate
	add := func(typ string, minor int, ms []apiMetric) {
		for _, m := range ms {
			v := m.CVSSData.VectorString
			if !validVector(typ, v) {
				prob.Add("%s: %s vector %q from %s is not valid", c.ID, typ, feed.Clip(v), feed.Clip(m.Source))
				continue
			}
			rank := 2
			if m.Type == "Primary" {
				rank = 1
				if m.Source == "nvd@nist.gov" {
					rank = 0
				}
			}
			cands = append(cands, candidate{osv.Severity{Type: typ, Score: v}, rank, minor})
		}
	}
	add(osv.SeverityCVSSv4, 0, c.Metrics.V40)
	add(osv.SeverityCVSSv3, 1, c.Metrics.V31)
	add(osv.SeverityCVSSv3, 0, c.Metrics.V30)
	add(osv.SeverityCVSSv2, 0, c.Metrics.V2)
	sevs := pick(cands)
	if len(sevs) == 0 {
		return nil
	}
	return &feed.Score{
		CVE:       c.ID,
		Source:    Source,
		Severity:  sevs,
		Published: parseTime(c.ID, "published", c.Published, prob),
		Modified:  parseTime(c.ID, "lastModified", c.LastModified, prob),
	}
}

// legacyScore converts one 1.1 item: its vectors are NVD's own.
func legacyScore(it *legacyItem, n int, prob *feed.Problems) *feed.Score {
	id := it.CVE.Meta.ID
	if !reCVE.MatchString(id) {
		prob.Add("item %d: id %q is not a CVE id", n+1, feed.Clip(id))
		return nil
	}
	if d := it.CVE.Description.Data; len(d) > 0 && strings.HasPrefix(d[0].Value, "** REJECT **") {
		return nil
	}
	var sevs []osv.Severity
	for _, v := range []struct{ typ, vec string }{
		{osv.SeverityCVSSv3, it.Impact.V3.CVSS.VectorString},
		{osv.SeverityCVSSv2, it.Impact.V2.CVSS.VectorString},
	} {
		if v.vec == "" {
			continue
		}
		if !validVector(v.typ, v.vec) {
			prob.Add("%s: %s vector %q is not valid", id, v.typ, feed.Clip(v.vec))
			continue
		}
		sevs = append(sevs, osv.Severity{Type: v.typ, Score: v.vec})
	}
	if len(sevs) == 0 {
		return nil
	}
	return &feed.Score{
		CVE:       id,
		Source:    Source,
		Severity:  sevs,
		Published: parseTime(id, "publishedDate", it.PublishedDate, prob),
		Modified:  parseTime(id, "lastModifiedDate", it.LastModifiedDate, prob),
	}
}

// typeOrder puts newer CVSS versions first.
func typeOrder(typ string) int {
	switch typ {
	case osv.SeverityCVSSv4:
		return 0
	case osv.SeverityCVSSv3:
		return 1
	}
	return 2
}

// pick keeps the best candidate per CVSS major version and orders them:
// by source rank, then newest version first.
func pick(cands []candidate) []osv.Severity {
	best := map[string]candidate{}
	for _, c := range cands {
		b, ok := best[c.sev.Type]
		if !ok || c.rank < b.rank || (c.rank == b.rank && c.minor > b.minor) {
			best[c.sev.Type] = c
		}
	}
	chosen := make([]candidate, 0, len(best))
	for _, c := range best {
		chosen = append(chosen, c)
	}
	sort.Slice(chosen, func(i, j int) bool {
		if chosen[i].rank != chosen[j].rank {
			return chosen[i].rank < chosen[j].rank
		}
		return typeOrder(chosen[i].sev.Type) < typeOrder(chosen[j].sev.Type)
	})
	out := make([]osv.Severity, len(chosen))
	for i, c := range chosen {
		out[i] = c.sev
	}
	return out
}

var (
	reVectorV2   = regexp.MustCompile(`^AV:[LAN]/AC:[HML]/Au:[MSN]/C:[NPC]/I:[NPC]/A:[NPC](/[A-Za-z]+:[A-Z]+)*$`)
	reVectorTail = regexp.MustCompile(`^(/[A-Za-z]+:[A-Za-z]+)+$`)
)

// validVector checks a vector's shape for its OSV severity type: CVSS v2
// base metrics (plus optional temporal ones), "CVSS:3.x/…", "CVSS:4.0/…".
func validVector(typ, v string) bool {
	if v == "" || len(v) > maxVector {
		return false
	}
	switch typ {
	case osv.SeverityCVSSv2:
		return reVectorV2.MatchString(v)
	case osv.SeverityCVSSv3:
		for _, p := range [...]string{"CVSS:3.0", "CVSS:3.1"} {
			if rest, ok := strings.CutPrefix(v, p); ok {
				return reVectorTail.MatchString(rest)
			}
		}
	case osv.SeverityCVSSv4:
		if rest, ok := strings.CutPrefix(v, "CVSS:4.0"); ok {
			return reVectorTail.MatchString(rest)
		}
	}
	return false
}

// parseTime reads NVD's timestamps: 2.0 "2022-07-11T13:15:08.503" (UTC,
// no zone), 1.1 "2020-07-08T17:15Z". Empty gives the zero time.
func parseTime(id, field, s string, prob *feed.Problems) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	prob.Add("%s: %s %q is not a timestamp", id, field, feed.Clip(s))
	return time.Time{}
}

// isTypeError reports whether a Decode error left the stream usable: a
// value of the wrong type was read whole.
func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}
