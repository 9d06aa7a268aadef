// Package alpine converts Alpine Linux's security database (secdb,
// https://secdb.alpinelinux.org/) into OSV records, in both its forms:
// the JSON files (v3.x/main.json, the current form) and the YAML files
// (v3.x/main.yaml, the legacy form of the same data). Wolfi publishes its
// secdb in the same JSON shape (https://packages.wolfi.dev/os/security.json);
// NewWolfi reads it.
//
// A secdb file lists, per package, which advisory ids each package
// release fixed:
//
//	{"distroversion": "v3.15", "reponame": "main", "packages": [
//	  {"pkg": {"name": "xz", "secfixes": {"5.2.5-r1": ["CVE-2022-1271"]}}}]}
//
// Each (CVE, package) of a file becomes one record "ALPINE-<CVE>"
// ("WOLFI-<CVE>") with the CVE in Upstream and one affected
// entry: ecosystem "Alpine:v3.15" ("Wolfi"), the package name, and an
// ECOSYSTEM range introduced "0", fixed at the listed release. An id
// listed under several releases gets one range per release; OSV ranges
// are alternatives, so the package counts as fixed from the highest.
//
// The special release "0" says the package in this branch was never
// affected: an id listed only there gets no record (there is nothing to
// match); listed under "0" and under a release, the release wins.
//
// Secfix entries are not always a bare CVE id: "CVE-2017-8904 XSA-214",
// "CVE-2018-16301 (was fixed in libpcap)", "CVE_2019-2426",
// "CVE-2017-17434-1", "XSA-207", "CVE-2017-5753 CVE-2017-5715 XSA-254
// XPTI". Each CVE of an entry gets its record, with the entry's other
// ids (XSA-254) beside it in Upstream; an entry without a CVE is named by
// its first id ("ALPINE-XSA-207"). A CVE written with "_" or a part
// suffix is normalised, and an entry holding more than bare ids is kept
// verbatim in the affected entry's database_specific "secfixes".
//
// A secdb file has no dates: Modified is left zero for the builder to
// stamp with the file's own date.
package alpine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// SecdbURL is the root of Alpine's secdb; each branch has main.json and
// community.json (and the legacy .yaml) under v3.x/ or edge/.
const SecdbURL = "https://secdb.alpinelinux.org/"

// WolfiURL is Wolfi's secdb.
const WolfiURL = "https://packages.wolfi.dev/os/security.json"

// DefaultURLs returns Alpine's secdb files for the branches from v3.10
// to v3.22 and edge, main and community. Newer branches are published
// under the same pattern (SecdbURL + "v3.N/main.json").
func DefaultURLs() []string {
	var urls []string
	for minor := 10; minor <= 22; minor++ {
		for _, repo := range []string{"main", "community"} {
			urls = append(urls, fmt.Sprintf("%sv3.%d/%s.json", SecdbURL, minor, repo))
		}
	}
	return append(urls, SecdbURL+"edge/main.json", SecdbURL+"edge/community.json")
}

// WolfiDefaultURLs returns Wolfi's secdb.
func WolfiDefaultURLs() []string { return []string{WolfiURL} }

// Bounds on one secdb file; the real ones are at most a few MB.
const (
	maxFileBytes = 256 << 20
	maxPackages  = 1_000_000
	maxFixes     = 100_000 // per package
	maxEntries   = 100_000 // per release of a package
)

// Parser reads secdb files of one distribution.
type Parser struct {
	name   string
	distro string // "Alpine" or "Wolfi"
	prefix string // record id prefix
}

var _ feed.Parser = (*Parser)(nil)

// New returns the parser of Alpine's secdb (JSON and YAML).
func New() *Parser { return &Parser{name: "alpine-secdb", distro: "Alpine", prefix: "ALPINE-"} }

// NewWolfi returns the parser of Wolfi's secdb.
func NewWolfi() *Parser { return &Parser{name: "wolfi-secdb", distro: "Wolfi", prefix: "WOLFI-"} }

// Name implements feed.Parser.
func (p *Parser) Name() string { return p.name }

var reBranchFile = regexp.MustCompile(`(^|/)(v[0-9]+\.[0-9]+|edge)/[a-z]+\.(json|yaml|yml)$`)

// Match implements feed.Parser. Alpine: "v3.15/main.json",
// "edge/community.yaml" and the like. Wolfi: "security.json".
func (p *Parser) Match(name string) bool {
	name = feed.TrimCompression(name)
	if p.distro == "Wolfi" {
		return path.Base(name) == "security.json"
	}
	return reBranchFile.MatchString(name)
}

// secdb is one file, in either form.
type secdb struct {
	DistroVersion string       `json:"distroversion"`
	RepoName      string       `json:"reponame"`
	Packages      []secPackage `json:"packages"`
}

type secPackage struct {
	Pkg struct {
		Name     string   `json:"name"`
		Secfixes secfixes `json:"secfixes"`
	} `json:"pkg"`
	line int // YAML only
}

// secfixes keeps the releases of a package in file order.
type secfixes []fix

type fix struct {
	version string
	entries []string
}

// UnmarshalJSON reads the secfixes object in order; a release's list may
// be null.
func (s *secfixes) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("secfixes is %v, want an object", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		version, _ := tok.(string)
		var entries []string
		if err := dec.Decode(&entries); err != nil {
			return fmt.Errorf("secfixes %q: %w", version, err)
		}
		if len(*s) >= maxFixes || len(entries) > maxEntries {
			return fmt.Errorf("secfixes: more than %d releases or %d entries", maxFixes, maxEntries)
		}
		*s = append(*s, fix{version, entries})
	}
	_, err = dec.Token()
	return err
}

// Parse implements feed.Parser. A file that cannot be read as secdb is
// an error; a bad package, release or entry is named in the returned
// error and skipped.
func (p *Parser) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	data, err := io.ReadAll(feed.LimitReader(r, maxFileBytes))
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", p.name, name, err)
	}
	var db secdb
	if first := firstByte(data); first == '{' {
		if err := json.Unmarshal(data, &db); err != nil {
			return fmt.Errorf("%s: parse %s: %w", p.name, name, err)
		}
	} else if err := parseYAML(data, &db); err != nil {
		return fmt.Errorf("%s: parse %s: %w", p.name, name, err)
	}
	if len(db.Packages) > maxPackages {
		return fmt.Errorf("%s: parse %s: more than %d packages", p.name, name, maxPackages)
	}
	eco, err := p.ecosystem(db.DistroVersion)
	if err != nil {
		return fmt.Errorf("%s: parse %s: %w", p.name, name, err)
	}
	prob := &feed.Problems{Prefix: p.name + ": " + name + ": "}
	for i := range db.Packages {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, rec := range p.records(eco, &db.Packages[i], i, prob) {
			if err := out.Advisory(rec); err != nil {
				return err
			}
		}
	}
	return prob.Err()
}

var reBranch = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// ecosystem returns the OSV ecosystem of a file's distroversion.
func (p *Parser) ecosystem(distroversion string) (string, error) {
	if p.distro == "Wolfi" {
		return "Wolfi", nil
	}
	if !reBranch.MatchString(distroversion) && distroversion != "edge" {
		return "", fmt.Errorf("distroversion %q is not an Alpine branch (v3.15, edge)", distroversion)
	}
	return "Alpine:" + distroversion, nil
}

// advisory gathers one id's fixes within a package.
type advisory struct {
	primary  string
	upstream []string
	fixed    []string // releases, in file order
	notes    []string // entries with more than ids, verbatim
	never    bool     // listed under "0"
}

// records converts one package.
func (p *Parser) records(eco string, pk *secPackage, index int, prob *feed.Problems) []*osv.Record {
	name := pk.Pkg.Name
	where := fmt.Sprintf("package %d", index+1)
	if pk.line > 0 {
		where = fmt.Sprintf("line %d", pk.line)
	}
	if !validName(name) {
		prob.Add("%s: %q is not a package name", where, name)
		return nil
	}
	var order []*advisory
	byID := map[string]*advisory{}
	for _, f := range pk.Pkg.Secfixes {
		never := f.version == "0"
		if !never && !validVersion(f.version) {
			prob.Add("%s: package %s: %q is not an apk version", where, name, f.version)
			continue
		}
		for _, e := range f.entries {
			cves, others, extra := parseEntry(e)
			keys := cves
			if len(keys) == 0 && len(others) > 0 {
				keys, others = others[:1], others[1:]
			}
			if len(keys) == 0 {
				prob.Add("%s: package %s release %s: secfix %q names no advisory id", where, name, f.version, feed.Clip(e))
				continue
			}
			for _, key := range keys {
				a := byID[key]
				if a == nil {
					a = &advisory{primary: key, upstream: []string{key}}
					byID[key] = a
					order = append(order, a)
				}
				for _, id := range others {
					if !contains(a.upstream, id) {
						a.upstream = append(a.upstream, id)
					}
				}
				if extra && !contains(a.notes, e) {
					a.notes = append(a.notes, e)
				}
				if never {
					a.never = true
				} else if !contains(a.fixed, f.version) {
					a.fixed = append(a.fixed, f.version)
				}
			}
		}
	}
	var recs []*osv.Record
	for _, a := range order {
		if len(a.fixed) == 0 {
			continue // only under "0": never affected in this branch
		}
		aff := osv.Affected{Package: osv.Package{Ecosystem: eco, Name: name}}
		for _, v := range a.fixed {
			aff.Ranges = append(aff.Ranges, osv.Range{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: v}}})
		}
		if len(a.notes) > 0 {
			b, _ := json.Marshal(map[string][]string{"secfixes": a.notes})
			aff.DatabaseSpecific = b
		}
		rec := &osv.Record{ID: p.prefix + a.primary, Upstream: a.upstream, Affected: []osv.Affected{aff}}
		if p.distro == "Alpine" && strings.HasPrefix(a.primary, "CVE-") {
			rec.References = []osv.Reference{{Type: "ADVISORY", URL: "https://security.alpinelinux.org/vuln/" + a.primary}}
		}
		recs = append(recs, rec)
	}
	return recs
}

var (
	// reCVE is a CVE id at the start of a token, written with "-" or
	// "_" after "CVE"; what follows the number must not be a digit.
	reCVE = regexp.MustCompile(`^(?i:cve)[-_]([0-9]{4})-([0-9]{4,19})(?:$|[^0-9])`)
	// reOtherID is a non-CVE advisory id: XSA-207, ZBX-11023,
	// TALOS-2017-0499, wnpa-sec-2017-21, GHSA-jq35-85cj-fj4p.
	reCVENumber = regexp.MustCompile(`^[0-9]{4}-[0-9]{4,19}$`)
	// rePlaceholder is a CVE not yet assigned: "CVE-????-?????".
	rePlaceholder = regexp.MustCompile(`^(?i:cve)-[?X]+-[?X]+$`)
	reOtherID     = regexp.MustCompile(`^(?:[A-Za-z]+(?:-[A-Za-z]+)*-[0-9][0-9A-Za-z]*(?:-[0-9A-Za-z]+)*|GHSA(?:-[0-9a-z]{4}){3})$`)
)

// parseEntry reads the advisory ids of a secfix entry, up to the first
// word that is not one: its CVEs and its other ids, in order. extra
// reports whether the entry holds anything else (words, a CVE written
// unusually).
func parseEntry(e string) (cves, others []string, extra bool) {
	fields := strings.Fields(e)
	for i := 0; i < len(fields); i++ {
		f := strings.TrimRight(fields[i], ",;:")
		// "CVE 2018-16859": a CVE with a space.
		if strings.EqualFold(f, "CVE") && i+1 < len(fields) && reCVENumber.MatchString(fields[i+1]) {
			f = "CVE-" + fields[i+1]
			i++
			extra = true
		}
		if m := reCVE.FindStringSubmatch(f); m != nil {
			id := "CVE-" + m[1] + "-" + m[2]
			extra = extra || id != f
			if !contains(cves, id) {
				cves = append(cves, id)
			}
			continue
		}
		if reOtherID.MatchString(f) && !strings.HasPrefix(strings.ToUpper(f), "CVE") {
			if !contains(others, f) {
				others = append(others, f)
			}
			continue
		}
		if rePlaceholder.MatchString(f) {
			// "CVE-????-?????  XSA-284": no CVE yet; the next id names it.
			extra = true
			continue
		}
		extra = extra || i < len(fields)
		break
	}
	return cves, others, extra
}

// validName reports whether n can be an apk package name.
func validName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte("._+-", c) < 0) {
			return false
		}
	}
	return true
}

// validVersion reports whether v can be an apk version: a digit first,
// then [A-Za-z0-9._+~-], at most 128 bytes.
func validVersion(v string) bool {
	if v == "" || len(v) > 128 || v[0] < '0' || v[0] > '9' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._+~-", c) >= 0) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// firstByte returns the first byte that is not white space (or a UTF-8
// byte order mark).
func firstByte(data []byte) byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for _, c := range data {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c
		}
	}
	return 0
}
