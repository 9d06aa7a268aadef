package debian

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// ListURLBase is the raw URL of the security-tracker repository's data
// directory; the lists are DSA/list, DLA/list and DTSA/list under it.
const ListURLBase = "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/"

// Bounds on one list file. The real DSA list is under 1 MB.
const (
	maxListBytes    = 256 << 20
	maxListLine     = 1 << 20
	maxListAffected = 10_000
	maxListXrefs    = 10_000
	maxVulnListJSON = 16 << 20
)

// List reads the advisory lists data/DSA/list, data/DLA/list and
// data/DTSA/list of Debian's security-tracker repository, and the same
// entries as vuln-list-debian JSON files (tracker/DSA/DSA-3714-1.json).
//
// The text format, as the tracker's own parser (lib/python/bugs.py)
// reads it: a header line
//
//	[28 Mar 2023] DSA-5375-1 thunderbird - security update
//
// (DTSA: "[August 26th, 2005] DTSA-1-1 kismet - various"), then
// indented annotations: "{CVE-… CVE-…}" cross references, "NOTE: …",
// "TODO: …", and package lines
//
//	[bullseye] - thunderbird 1:102.9.0-1~deb11u1
//	[woody] - xloadimage 4.1-10woody2 (bug #332524; medium)
//	[buster] - pkg <not-affected> (reason)
//
// where the version may instead be a marker: <not-affected>,
// <unfixed>, <end-of-life>, <no-dsa>, <ignored>, <postponed>,
// <undetermined>, <removed>, <itp>.
type List struct{}

var _ feed.Parser = (*List)(nil)

// NewList returns the parser of the DSA/DLA/DTSA lists.
func NewList() *List { return &List{} }

// Name implements feed.Parser.
func (*List) Name() string { return "debian-list" }

var reVulnListFile = regexp.MustCompile(`(^|/)(DSA|DLA|DTSA)/(DSA|DLA|DTSA)-[0-9]+(-[0-9]+)?\.json$`)

// Match implements feed.Parser: ".../DSA/list", ".../DLA/list",
// ".../DTSA/list", and vuln-list-debian's ".../DSA/DSA-n-n.json" (and DLA,
// DTSA).
func (*List) Match(p string) bool {
	p = feed.TrimCompression(p)
	if reVulnListFile.MatchString(p) {
		return true
	}
	if path.Base(p) != "list" {
		return false
	}
	switch path.Base(path.Dir(p)) {
	case "DSA", "DLA", "DTSA":
		return true
	}
	return false
}

// Parse implements feed.Parser. Each advisory with at least one affected
// package becomes one record; a malformed line is named in the returned
// error and skipped.
func (l *List) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	if strings.HasSuffix(feed.TrimCompression(name), ".json") {
		return parseVulnList(ctx, name, r, out)
	}
	return parseList(ctx, name, feed.LimitReader(r, maxListBytes), out)
}

// vulnListEntry is one vuln-list-debian file: the list entry split into
// its header and annotation lines, each with its original text.
type vulnListEntry struct {
	Header struct {
		Original string `json:"Original"`
	} `json:"Header"`
	Annotations []struct {
		Original string `json:"Original"`
	} `json:"Annotations"`
}

// parseVulnList reads one vuln-list-debian advisory file by rebuilding
// the list entry from its original lines.
func parseVulnList(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	data, err := io.ReadAll(feed.LimitReader(r, maxVulnListJSON))
	if err != nil {
		return fmt.Errorf("debian-list: read %s: %w", name, err)
	}
	var e vulnListEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("debian-list: parse %s: %w", name, err)
	}
	if e.Header.Original == "" {
		return fmt.Errorf("debian-list: parse %s: no Header.Original", name)
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(e.Header.Original, "\n", " "))
	b.WriteByte('\n')
	for _, a := range e.Annotations {
		b.WriteByte('\t')
		b.WriteString(strings.ReplaceAll(a.Original, "\n", " "))
		b.WriteByte('\n')
	}
	return parseList(ctx, name, strings.NewReader(b.String()), out)
}

// parseList reads list text.
func parseList(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	prob := &feed.Problems{Prefix: "debian-list: " + name + ": "}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxListLine)
	var (
		cur      *advisory
		orphaned bool // annotations after a bad header: reported once
		lineNo   int
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		rec := cur.record()
		cur = nil
		if rec == nil {
			return nil
		}
		return out.Advisory(rec)
	}
	for sc.Scan() {
		lineNo++
		if lineNo%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			if err := flush(); err != nil {
				return err
			}
			adv, err := parseHeader(line)
			if err != nil {
				prob.Add("line %d: %v", lineNo, err)
				orphaned = true
				continue
			}
			adv.line = lineNo
			cur, orphaned = adv, false
			continue
		}
		if cur == nil {
			if !orphaned {
				prob.Add("line %d: annotation outside an advisory", lineNo)
				orphaned = true
			}
			continue
		}
		if err := cur.annotate(strings.TrimSpace(line)); err != nil {
			prob.Add("line %d (%s): %v", lineNo, cur.id, err)
		}
	}
	if err := sc.Err(); err != nil {
		return errors.Join(fmt.Errorf("debian-list: read %s after line %d: %w", name, lineNo, err), prob.Err())
	}
	if err := flush(); err != nil {
		return err
	}
	return prob.Err()
}

// advisory is one list entry being read.
type advisory struct {
	id       string
	date     time.Time
	summary  string
	line     int
	upstream []string
	related  []string
	notes    []string
	refs     []osv.Reference
	affected []osv.Affected
	seen     map[string]bool // upstream, related and reference URLs
}

var (
	reHeader = regexp.MustCompile(`^\[([^\]]+)\]\s+((?:DSA|DLA)-[0-9]+(?:-[0-9]+)?|DTSA-[0-9]+-[0-9]+)(?:\s+(.*))?$`)
	// reOrdinal is the day of a DTSA date: "August 26th, 2005".
	reOrdinal = regexp.MustCompile(`^([A-Z][a-z]+) ([0-9]{1,2})(?:st|nd|rd|th), ([0-9]{4})$`)
	// rePackage is a package annotation: an optional release, the
	// package, a version or <marker>, optional notes in parentheses.
	rePackage = regexp.MustCompile(`^(?:\[([^\]]*)\]\s*)?-\s+(\S+)(?:\s+(<[^>]*>|[^\s(]+))?(?:\s*\((.*)\))?$`)
	reCVE     = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	reAdvID   = regexp.MustCompile(`^(?:(?:DSA|DLA)-[0-9]+(?:-[0-9]+)?|DTSA-[0-9]+-[0-9]+)$`)
	reVU      = regexp.MustCompile(`^VU#([0-9]{6})$`)
	reBug     = regexp.MustCompile(`^bug #([0-9]{1,9})$`)
)

// parseHeader reads "[date] ID rest".
func parseHeader(line string) (*advisory, error) {
	m := reHeader.FindStringSubmatch(line)
	if m == nil {
		return nil, fmt.Errorf("want an advisory header \"[date] DSA-n-n …\", got %q", clip(line))
	}
	date, err := parseDate(m[1])
	if err != nil {
		return nil, fmt.Errorf("%s: %v", m[2], err)
	}
	return &advisory{id: m[2], date: date, summary: strings.TrimSpace(m[3]), seen: map[string]bool{}}, nil
}

// parseDate reads "28 Mar 2023" (DSA, DLA) or "August 26th, 2005" (DTSA).
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2 Jan 2006", s); err == nil {
		return t, nil
	}
	if m := reOrdinal.FindStringSubmatch(s); m != nil {
		if t, err := time.Parse("January 2 2006", m[1]+" "+m[2]+" "+m[3]); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", clip(s))
}

// annotate reads one annotation line, already trimmed.
func (a *advisory) annotate(s string) error {
	switch {
	case strings.HasPrefix(s, "{"):
		if !strings.HasSuffix(s, "}") {
			return fmt.Errorf("cross reference without a closing brace: %q", clip(s))
		}
		for _, x := range strings.Fields(s[1 : len(s)-1]) {
			if len(a.upstream)+len(a.related)+len(a.refs) >= maxListXrefs {
				return fmt.Errorf("more than %d cross references", maxListXrefs)
			}
			switch {
			case reCVE.MatchString(x):
				a.addUnique(&a.upstream, x)
			case reAdvID.MatchString(x):
				if x != a.id {
					a.addUnique(&a.related, x)
				}
			case reVU.MatchString(x):
				a.addRef("ADVISORY", "https://www.kb.cert.org/vuls/id/"+reVU.FindStringSubmatch(x)[1])
			default:
				return fmt.Errorf("cross reference %q is not a CVE, DSA, DLA, DTSA or VU# id", clip(x))
			}
		}
		return nil
	case strings.HasPrefix(s, "NOTE:"):
		if n := strings.TrimSpace(strings.TrimPrefix(s, "NOTE:")); n != "" {
			a.notes = append(a.notes, n)
		}
		return nil
	case strings.HasPrefix(s, "TODO:"):
		return nil
	}
	m := rePackage.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("want a package line \"[release] - package version\", got %q", clip(s))
	}
	return a.addPackage(m[1], m[2], m[3], m[4])
}

// addPackage reads "[codename] - pkg version-or-<marker> (notes)".
func (a *advisory) addPackage(codename, pkg, version, notes string) error {
	if codename == "" {
		codename = "sid" // a note without a release is about unstable
	}
	ver, _, ok := release(codename)
	if !ok {
		return fmt.Errorf("unknown release %q", clip(codename))
	}
	if !validPackage(pkg) {
		return fmt.Errorf("%q is not a package name", clip(pkg))
	}
	var spec Specific
	var bugs []string
	var comment []string
	for _, n := range strings.Split(notes, ";") {
		n = strings.TrimSpace(n)
		switch {
		case n == "", n == "bug filed":
		case severity(n) != "":
			spec.Severity = severity(n)
		case reBug.MatchString(n):
			bugs = append(bugs, reBug.FindStringSubmatch(n)[1])
		default:
			comment = append(comment, n)
		}
	}
	events := []osv.Event{{Introduced: "0"}}
	switch {
	case strings.HasPrefix(version, "<"):
		switch marker := strings.Trim(version, "<>"); marker {
		case "not-affected", "itp":
			return nil // never affected, or not in Debian
		case "unfixed":
		case StatusEndOfLife, StatusUndetermined, StatusRemoved:
			spec.setStatus(marker)
		case StatusNoDSA, StatusIgnored, StatusPostponed:
			spec.setStatus(marker)
			spec.NoDSA = strings.Join(comment, "; ")
			if marker != StatusNoDSA {
				spec.NoDSAReason = marker
			}
		default:
			return fmt.Errorf("unknown marker %q", clip(version))
		}
	case version == "":
		// No version and no marker: unfixed, as the tracker reads it.
	case !validVersion(version):
		return fmt.Errorf("%q is not a Debian version", clip(version))
	default:
		events = append(events, osv.Event{Fixed: version})
	}
	for _, b := range bugs {
		a.addRef("REPORT", "https://bugs.debian.org/"+b)
	}
	eco := "Debian:" + ver
	rng := osv.Range{Type: osv.RangeEcosystem, Events: events}
	for i := range a.affected {
		// The same package twice in one release: one more range; the
		// ranges are alternatives.
		if p := a.affected[i].Package; p.Ecosystem == eco && p.Name == pkg {
			a.affected[i].Ranges = append(a.affected[i].Ranges, rng)
			return nil
		}
	}
	if len(a.affected) >= maxListAffected {
		return fmt.Errorf("more than %d package lines", maxListAffected)
	}
	a.affected = append(a.affected, osv.Affected{
		Package:           osv.Package{Ecosystem: eco, Name: pkg},
		Ranges:            []osv.Range{rng},
		EcosystemSpecific: spec.raw(),
	})
	return nil
}

func (a *advisory) addUnique(list *[]string, id string) {
	if !a.seen[id] {
		a.seen[id] = true
		*list = append(*list, id)
	}
}

func (a *advisory) addRef(typ, url string) {
	if !a.seen[url] {
		a.seen[url] = true
		a.refs = append(a.refs, osv.Reference{Type: typ, URL: url})
	}
}

// record returns the advisory as an OSV record; nil when it names no
// affected package (announcements, end-of-life notices, advisories
// published without a package line).
func (a *advisory) record() *osv.Record {
	if len(a.affected) == 0 {
		return nil
	}
	published := a.date
	rec := &osv.Record{
		ID:        a.id,
		Modified:  a.date,
		Published: &published,
		Upstream:  a.upstream,
		Related:   a.related,
		Summary:   a.summary,
		Details:   strings.Join(a.notes, "\n"),
		Affected:  a.affected,
		References: append([]osv.Reference{
			{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/" + a.id},
		}, a.refs...),
	}
	return rec
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
