// Package npmadvisory converts the legacy npm advisories the Node.js
// Security Working Group keeps (github.com/nodejs/security-wg, vuln/npm/
// <n>.json, first published by the Node Security Project) to OSV records
// in the npm ecosystem.
//
// An advisory names one module and its vulnerable versions as a
// node-semver range ("<=1.2.3 || >=2.0.0 <2.0.5"); the converter expands
// the range into intervals of SemVer precedence (ParseRange) and writes
// them as SEMVER events. Its id is NSWG-ECO-<n>, the identifier the
// working group assigns (vuln/README.md).
package npmadvisory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/vercmp"
)

// DefaultURLs is the working group's repository as a zip; its
// vuln/npm/*.json files are the advisories.
var DefaultURLs = []string{
	"https://github.com/nodejs/security-wg/archive/refs/heads/main.zip",
}

// Ecosystem is the OSV ecosystem of the converted records.
const Ecosystem = "npm"

// MaxFileSize bounds one advisory file.
const MaxFileSize = 1 << 20

var (
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
	cveRE     = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	npmNameRE = regexp.MustCompile(`^(@[a-z0-9-~][a-z0-9-._~]*/)?[A-Za-z0-9-~][A-Za-z0-9-._~]*$`)
	cvss3RE   = regexp.MustCompile(`^CVSS:3\.[01]/AV:[NALP]/AC:[LH]/PR:[NLH]/UI:[NR]/S:[UC]/C:[NLH]/I:[NLH]/A:[NLH](/[A-Za-z]+:[A-Za-z])*$`)
)

// advisory is one vuln/npm/<n>.json file.
type advisory struct {
	ID                 json.Number     `json:"id"`
	Title              string          `json:"title"`
	Overview           string          `json:"overview"`
	Recommendation     string          `json:"recommendation"`
	CreatedAt          string          `json:"created_at"`
	UpdatedAt          string          `json:"updated_at"`
	PublishDate        string          `json:"publish_date"`
	Author             json.RawMessage `json:"author"`
	ModuleName         string          `json:"module_name"`
	CVEs               []string        `json:"cves"`
	VulnerableVersions string          `json:"vulnerable_versions"`
	PatchedVersions    string          `json:"patched_versions"`
	References         []string        `json:"references"`
	CVSSVector         string          `json:"cvss_vector"`
	CVSSScore          json.Number     `json:"cvss_score"`
	CoordinatingVendor string          `json:"coordinating_vendor"`
}

// Parser converts the working group's npm advisories.
type Parser struct {
	cmp vercmp.Comparer // nil when vercmp has no npm ordering: Parse fails
}

var _ feed.Parser = (*Parser)(nil)

// New returns a parser using vercmp's npm ordering.
func New() feed.Parser {
	c, _ := vercmp.For(Ecosystem)
	return &Parser{cmp: c}
}

// NewWith returns a parser using the ordering c.
func NewWith(c vercmp.Comparer) *Parser { return &Parser{cmp: c} }

// Name implements feed.Parser.
func (*Parser) Name() string { return "nswg-npm" }

// Match implements feed.Parser: npm/<n>.json (vuln/npm/ in the
// repository), not the directory's index.json nor vuln/core/.
func (*Parser) Match(p string) bool {
	dir, base := path.Split(p)
	return strings.HasSuffix(base, ".json") && digitsRE.MatchString(strings.TrimSuffix(base, ".json")) &&
		path.Base(strings.TrimSuffix(dir, "/")) == "npm"
}

// Parse implements feed.Parser.
func (p *Parser) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.cmp == nil {
		return fmt.Errorf("nswg-npm: %s: no %s version ordering in vercmp", name, Ecosystem)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("nswg-npm: %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return fmt.Errorf("nswg-npm: %s: larger than %d bytes", name, MaxFileSize)
	}
	var a advisory
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("nswg-npm: %s: not an npm advisory: %w", name, err)
	}
	rec, err := p.convert(&a)
	if err != nil {
		return fmt.Errorf("nswg-npm: %s: %w", name, err)
	}
	if err := out.Advisory(rec); err != nil {
		return fmt.Errorf("nswg-npm: %s: %w", name, err)
	}
	return nil
}

// convert turns one advisory into an OSV record.
func (p *Parser) convert(a *advisory) (*osv.Record, error) {
	if !digitsRE.MatchString(a.ID.String()) {
		return nil, fmt.Errorf("id: %q is not a number", a.ID)
	}
	n := strings.TrimLeft(a.ID.String(), "0")
	if n == "" || len(n) > 12 {
		return nil, fmt.Errorf("id: %q is out of range", a.ID)
	}
	if !npmNameRE.MatchString(a.ModuleName) || len(a.ModuleName) > 214 {
		return nil, fmt.Errorf("module_name: %q is not an npm package name", a.ModuleName)
	}
	rec := &osv.Record{
		ID:      "NSWG-ECO-" + n,
		Summary: strings.Join(strings.Fields(a.Title), " "),
		Details: strings.TrimSpace(a.Overview),
	}
	if rcm := strings.TrimSpace(a.Recommendation); rcm != "" {
		rec.Details += "\n\n## Recommendation\n\n" + rcm
		rec.Details = strings.TrimSpace(rec.Details)
	}
	updated, err := date("updated_at", a.UpdatedAt)
	if err != nil {
		return nil, err
	}
	rec.Modified = updated
	// 1970-01-01 is how the data says "not published".
	if a.PublishDate != "" && a.PublishDate != "1970-01-01" {
		pub, err := date("publish_date", a.PublishDate)
		if err != nil {
			return nil, err
		}
		rec.Published = &pub
	}
	if a.CreatedAt != "" {
		if _, err := date("created_at", a.CreatedAt); err != nil {
			return nil, err
		}
	}
	ds := map[string]any{}
	for _, c := range a.CVEs {
		if cveRE.MatchString(c) {
			rec.Aliases = append(rec.Aliases, c)
		} else {
			ds["cves"] = a.CVEs // as published, when one is malformed
		}
	}
	if a.CVSSVector != "" {
		if cvss3RE.MatchString(a.CVSSVector) {
			rec.Severity = []osv.Severity{{Type: osv.SeverityCVSSv3, Score: a.CVSSVector}}
		} else {
			ds["cvss_vector"] = a.CVSSVector // not a valid CVSS 3 vector
		}
	}
	if a.CVSSScore != "" {
		// As published: -1 marks an advisory nobody scored.
		if _, err := strconv.ParseFloat(a.CVSSScore.String(), 64); err != nil {
			return nil, fmt.Errorf("cvss_score: %q is not a number", a.CVSSScore)
		}
		ds["cvss_score"] = a.CVSSScore
	}
	if len(a.Author) > 0 && string(a.Author) != "null" {
		ds["author"] = a.Author
	}
	if a.CoordinatingVendor != "" {
		ds["coordinating_vendor"] = a.CoordinatingVendor
	}
	if a.CreatedAt != "" {
		ds["created_at"] = a.CreatedAt
	}
	if len(ds) > 0 {
		rec.DatabaseSpecific, _ = json.Marshal(ds)
	}
	rec.References = append(rec.References, osv.Reference{
		Type: "ADVISORY", URL: "https://github.com/nodejs/security-wg/blob/main/vuln/npm/" + n + ".json",
	})
	for _, u := range a.References {
		u = strings.TrimSpace(u)
		if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			rec.References = append(rec.References, osv.Reference{Type: "WEB", URL: u})
		}
	}
	aff, err := p.affected(a)
	if err != nil {
		return nil, err
	}
	rec.Affected = []osv.Affected{aff}
	return rec, nil
}

// affected converts vulnerable_versions to SEMVER ranges; the range
// strings as published go to database_specific.
func (p *Parser) affected(a *advisory) (osv.Affected, error) {
	if strings.TrimSpace(a.VulnerableVersions) == "" {
		return osv.Affected{}, errors.New("vulnerable_versions: empty")
	}
	o := p.intervals()
	set, err := ParseRange(o, a.VulnerableVersions)
	if err != nil {
		return osv.Affected{}, fmt.Errorf("vulnerable_versions: %w", err)
	}
	for _, iv := range set {
		for _, b := range []feed.Bound{iv.Lo, iv.Hi} {
			if !b.Unbounded {
				if err := p.cmp.Valid(b.Version); err != nil {
					return osv.Affected{}, fmt.Errorf("vulnerable_versions: %q: %v", b.Version, err)
				}
			}
		}
	}
	ranges, _ := o.Ranges(set, osv.RangeSemver)
	if len(ranges) == 0 {
		return osv.Affected{}, fmt.Errorf("vulnerable_versions: %q admits no version", a.VulnerableVersions)
	}
	ds := map[string]string{"vulnerable_versions": a.VulnerableVersions}
	if a.PatchedVersions != "" {
		ds["patched_versions"] = a.PatchedVersions
	}
	aff := osv.Affected{
		Package: osv.Package{Ecosystem: Ecosystem, Name: a.ModuleName, PURL: purl(a.ModuleName)},
		Ranges:  ranges,
	}
	aff.DatabaseSpecific, _ = json.Marshal(ds)
	return aff, nil
}

func (p *Parser) intervals() feed.Intervals {
	return feed.Intervals{Compare: p.cmp.Compare, Successor: successor}
}

// purl is the package URL of an npm package ("@scope/x" →
// "pkg:npm/%40scope/x").
func purl(name string) string {
	if strings.HasPrefix(name, "@") {
		return "pkg:npm/%40" + name[1:]
	}
	return "pkg:npm/" + name
}

// date reads a YYYY-MM-DD date.
func date(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not YYYY-MM-DD", field, s)
	}
	return t, nil
}
