// Package rubysec converts the Ruby Advisory Database
// (github.com/rubysec/ruby-advisory-db) from its native YAML to OSV
// records in the RubyGems ecosystem.
//
// A gem advisory (gems/<gem>/<id>.yml) names the versions that are safe:
// patched_versions and unaffected_versions, lists of Gem::Requirement
// strings whose conditions, separated by commas, must all hold. The
// affected versions are those that satisfy none of them; the converter
// computes that complement with the RubyGems version ordering and writes
// it as ECOSYSTEM events.
//
// Interpreter advisories (rubies/<engine>/<id>.yml for ruby, jruby,
// mruby…) are not matched: they concern the Ruby implementation itself,
// which is no RubyGems package and has no OSV ecosystem.
package rubysec

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

// DefaultURLs is the advisory database's default branch as a zip.
var DefaultURLs = []string{
	"https://github.com/rubysec/ruby-advisory-db/archive/refs/heads/master.zip",
}

// Ecosystem is the OSV ecosystem of the converted records.
const Ecosystem = "RubyGems"

// MaxFileSize bounds one advisory file.
const MaxFileSize = 1 << 20

var (
	idRE    = regexp.MustCompile(`^(CVE-[0-9]{4}-[0-9]{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|OSVDB-[0-9]+)$`)
	cveRE   = regexp.MustCompile(`^[0-9]{4}-[0-9]{4,}$`)
	ghsaRE  = regexp.MustCompile(`^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$`)
	osvdbRE = regexp.MustCompile(`^[0-9]+$`)
	gemRE   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// Parser converts RubySec gem advisories.
type Parser struct {
	// cmp orders RubyGems versions; nil when vercmp has no RubyGems
	// ordering, and then every Parse fails.
	cmp vercmp.Comparer
}

var _ feed.Parser = (*Parser)(nil)

// New returns a parser using vercmp's RubyGems ordering.
func New() feed.Parser {
	c, _ := vercmp.For(Ecosystem)
	return &Parser{cmp: c}
}

// NewWith returns a parser using the ordering c.
func NewWith(c vercmp.Comparer) *Parser { return &Parser{cmp: c} }

// Name implements feed.Parser.
func (*Parser) Name() string { return "rubysec" }

// Match implements feed.Parser: gems/<gem>/<file>.yml, anywhere below
// the feed's root (archives add a top directory).
func (*Parser) Match(p string) bool {
	if !strings.HasSuffix(p, ".yml") {
		return false
	}
	parts := strings.Split(p, "/")
	n := len(parts)
	return n >= 3 && parts[n-3] == "gems" && parts[n-2] != "" && !strings.HasPrefix(parts[n-1], ".")
}

// Parse implements feed.Parser.
func (p *Parser) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.cmp == nil {
		return fmt.Errorf("rubysec: %s: no %s version ordering in vercmp", name, Ecosystem)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("rubysec: %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return fmt.Errorf("rubysec: %s: larger than %d bytes", name, MaxFileSize)
	}
	adv, err := parseAdvisory(data)
	if err != nil {
		return fmt.Errorf("rubysec: %s: %w", name, err)
	}
	rec, err := p.convert(name, adv)
	if err != nil {
		return fmt.Errorf("rubysec: %s: %w", name, err)
	}
	if err := out.Advisory(rec); err != nil {
		return fmt.Errorf("rubysec: %s: %w", name, err)
	}
	return nil
}

// convert turns an advisory into an OSV record. name is the file's path:
// its base name is the advisory's id.
func (p *Parser) convert(name string, a *advisory) (*osv.Record, error) {
	if a.Gem == "" {
		if a.Engine != "" {
			return nil, fmt.Errorf("an advisory for the %s interpreter, not a gem", a.Engine)
		}
		return nil, errors.New("no gem")
	}
	if !gemRE.MatchString(a.Gem) {
		return nil, fmt.Errorf("gem: %q is not a gem name", a.Gem)
	}
	var ids []string // CVE, GHSA, OSVDB, as the advisory gives them
	for _, f := range []struct{ val, prefix string }{{a.CVE, "CVE-"}, {a.GHSA, "GHSA-"}, {a.OSVDB, "OSVDB-"}} {
		if f.val == "" {
			continue
		}
		id, err := prefixed(f.prefix, f.val)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	id := strings.TrimSuffix(path.Base(name), ".yml")
	if !idRE.MatchString(id) {
		if len(ids) == 0 {
			return nil, errors.New("no cve, ghsa or osvdb id, and the file name is no id")
		}
		id = ids[0]
	}
	rec := &osv.Record{
		ID:      id,
		Summary: strings.Join(strings.Fields(a.Title), " "),
		Details: strings.TrimSpace(a.Description),
	}
	for _, x := range ids {
		if x != id {
			rec.Aliases = append(rec.Aliases, x)
		}
	}
	if a.Date == "" {
		return nil, errors.New("no date")
	}
	d, err := time.Parse(time.DateOnly, a.Date)
	if err != nil {
		return nil, fmt.Errorf("date: %q is not YYYY-MM-DD", a.Date)
	}
	rec.Published, rec.Modified = &d, d
	if err := p.related(rec, a); err != nil {
		return nil, err
	}
	if rec.DatabaseSpecific, err = recordSpecific(a, false); err != nil {
		return nil, err
	}
	aff, err := p.affected(a)
	switch {
	case err == errNothingAffected:
		// Some advisories declare every version patched or unaffected
		// (ckeditor CVE-2021-32808). An affected entry without ranges could
		// be read as "all versions", so the record has none, and says
		// which gem and requirements it was about.
		if rec.DatabaseSpecific, err = recordSpecific(a, true); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		rec.Affected = []osv.Affected{aff}
	}
	return rec, nil
}

// prefixed returns prefix+val after checking val's form.
func prefixed(prefix, val string) (string, error) {
	re := map[string]*regexp.Regexp{"CVE-": cveRE, "GHSA-": ghsaRE, "OSVDB-": osvdbRE}[prefix]
	val = strings.TrimPrefix(val, prefix)
	if !re.MatchString(val) {
		return "", fmt.Errorf("%s: %q is not an id", strings.ToLower(strings.TrimSuffix(prefix, "-")), val)
	}
	return prefix + val, nil
}

// related fills references (url, then related.url) and related ids
// (related.cve, ghsa, osvdb).
func (p *Parser) related(rec *osv.Record, a *advisory) error {
	seen := map[string]bool{}
	addRef := func(typ, u string) {
		u = strings.TrimSpace(u)
		if u != "" && !seen[u] {
			seen[u] = true
			rec.References = append(rec.References, osv.Reference{Type: typ, URL: u})
		}
	}
	addRef("ADVISORY", a.URL)
	for _, u := range a.Related["url"] {
		addRef("WEB", u)
	}
	for _, f := range []struct{ key, prefix string }{{"cve", "CVE-"}, {"ghsa", "GHSA-"}, {"osvdb", "OSVDB-"}} {
		for _, v := range a.Related[f.key] {
			id, err := prefixed(f.prefix, v)
			if err != nil {
				return fmt.Errorf("related.%w", err)
			}
			if id != rec.ID && !contains(rec.Aliases, id) && !contains(rec.Related, id) {
				rec.Related = append(rec.Related, id)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// errNothingAffected: the requirements cover every version.
var errNothingAffected = errors.New("every version is patched or unaffected")

// recordSpecific keeps what OSV has no field for: the CVSS base scores
// (RubySec gives no vectors), framework, library and notes; and, for an
// advisory that affects nothing, the gem and its requirements.
func recordSpecific(a *advisory, nothingAffected bool) (json.RawMessage, error) {
	m := map[string]any{}
	if nothingAffected {
		m["gem"] = a.Gem
		if len(a.Patched) > 0 {
			m["patched_versions"] = a.Patched
		}
		if len(a.Unaffected) > 0 {
			m["unaffected_versions"] = a.Unaffected
		}
	}
	for _, f := range []struct{ key, val string }{{"cvss_v2", a.CVSSv2}, {"cvss_v3", a.CVSSv3}, {"cvss_v4", a.CVSSv4}} {
		if f.val == "" {
			continue
		}
		x, err := strconv.ParseFloat(f.val, 64)
		if err != nil || x < 0 || x > 10 {
			return nil, fmt.Errorf("%s: %q is not a CVSS score", f.key, f.val)
		}
		m[f.key] = json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	}
	for _, f := range []struct{ key, val string }{{"framework", a.Framework}, {"library", a.Library}, {"notes", strings.TrimSpace(a.Notes)}} {
		if f.val != "" {
			m[f.key] = f.val
		}
	}
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

// affected computes the gem's affected versions: those in no patched or
// unaffected requirement.
func (p *Parser) affected(a *advisory) (osv.Affected, error) {
	o := p.intervals()
	var safe []feed.VersionSet
	for _, l := range []struct {
		key  string
		reqs []string
	}{{"patched_versions", a.Patched}, {"unaffected_versions", a.Unaffected}} {
		for i, req := range l.reqs {
			s, err := requirementSet(o, req)
			if err != nil {
				return osv.Affected{}, fmt.Errorf("%s[%d]: %w", l.key, i, err)
			}
			for _, iv := range s {
				for _, b := range []feed.Bound{iv.Lo, iv.Hi} {
					if !b.Unbounded && p.cmp.Valid(b.Version) != nil {
						return osv.Affected{}, fmt.Errorf("%s[%d]: %q: %v", l.key, i, b.Version, p.cmp.Valid(b.Version))
					}
				}
			}
			safe = append(safe, s)
		}
	}
	ranges, _ := o.Ranges(o.Complement(o.Union(safe...)), osv.RangeEcosystem)
	if len(ranges) == 0 {
		return osv.Affected{}, errNothingAffected
	}
	aff := osv.Affected{
		Package: osv.Package{Ecosystem: Ecosystem, Name: a.Gem, PURL: "pkg:gem/" + a.Gem},
		Ranges:  ranges,
	}
	ds := map[string][]string{}
	if len(a.Patched) > 0 {
		ds["patched_versions"] = a.Patched
	}
	if len(a.Unaffected) > 0 {
		ds["unaffected_versions"] = a.Unaffected
	}
	if len(ds) > 0 {
		aff.DatabaseSpecific, _ = json.Marshal(ds)
	}
	if a.Platform != "" {
		aff.EcosystemSpecific, _ = json.Marshal(map[string]string{"platform": a.Platform})
	}
	return aff, nil
}

func (p *Parser) intervals() feed.Intervals {
	return feed.Intervals{Compare: p.cmp.Compare, Successor: successor}
}
